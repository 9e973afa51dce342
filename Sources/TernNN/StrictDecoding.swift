import TernSupport


extension KeyedDecodingContainer where K == JSONKey {
    /// Throws when the object has a key outside `allowed`, naming it and `context`.
    func rejectUnknownKeys(_ allowed: Set<String>, context: String) throws {
        for key in allKeys where !allowed.contains(key.stringValue) {
            throw NNError.invalidConfiguration("\(context) has no option '\(key.stringValue)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func value<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        try decodeIfPresent(T.self, forKey: JSONKey(key))
    }
}
