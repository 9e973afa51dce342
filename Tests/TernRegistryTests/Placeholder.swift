import Testing

@Test func placeholderTernRegistryTests() {}
