import Testing

@Test func placeholderTernServingTests() {}
