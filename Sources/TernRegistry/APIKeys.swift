import Foundation
import TernSupport

/// API keys: `tern_<id>_<secret>`, where the id is public (it names the
/// key in lists and logs) and only the SHA-256 of the whole text is stored.
public enum APIKeys {
    /// A new key: the text to show once, and the record to store.
    public static func generate(name: String, scope: KeyScope, now: Date = Date()) -> (text: String, record: KeyRecord) {
        let id = randomHex(bytes: 6)
        let text = "tern_\(id)_\(randomHex(bytes: 24))"
        return (text, KeyRecord(id: id, name: name, scope: scope, hash: hash(text), createdAt: now))
    }

    /// The id part of a presented key, or nil if it is not shaped like one.
    public static func id(of text: String) -> String? {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "tern", parts[1].utf8.count == 12, parts[2].utf8.count == 48 else { return nil }
        return String(parts[1])
    }

    public static func hash(_ text: String) -> String {
        sha256Hex(Array(text.utf8))
    }

    /// Whether `text` is the key stored as `record` (compares hashes in
    /// constant time; revoked keys never match).
    public static func verify(_ text: String, against record: KeyRecord) -> Bool {
        guard record.revokedAt == nil else { return false }
        let a = Array(hash(text).utf8), b = Array(record.hash.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
