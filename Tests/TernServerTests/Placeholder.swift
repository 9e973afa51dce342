import Testing

@Test func placeholderTernServerTests() {}
