import Foundation
import Testing
@testable import TernRegistry

struct APIKeysTests {
    @Test func generatedKeysVerifyAgainstTheirRecord() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let (text, record) = APIKeys.generate(name: "ci", scope: .deploy, now: now)
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts[0] == "tern")
        #expect(parts[1].count == 12 && parts[2].count == 48)
        let hexDigits = Set("0123456789abcdef")
        #expect(parts[1].allSatisfy(hexDigits.contains) && parts[2].allSatisfy(hexDigits.contains))
        #expect(APIKeys.id(of: text) == record.id)
        #expect(record.name == "ci" && record.scope == .deploy && record.createdAt == now && record.revokedAt == nil)
        // Only the hash is kept, never the secret.
        #expect(record.hash == APIKeys.hash(text) && record.hash.count == 64)
        #expect(!record.hash.contains(String(parts[2])))
        #expect(APIKeys.verify(text, against: record))
    }

    @Test func keysAreUnique() {
        let texts = (0..<50).map { _ in APIKeys.generate(name: "k", scope: .read).text }
        #expect(Set(texts).count == 50)
        #expect(Set(texts.compactMap(APIKeys.id(of:))).count == 50)
    }

    @Test func aWrongKeyDoesNotVerify() {
        let (text, record) = APIKeys.generate(name: "a", scope: .admin)
        let (other, _) = APIKeys.generate(name: "b", scope: .admin)
        #expect(!APIKeys.verify(other, against: record))
        // Same id, one secret digit changed.
        let last = text.last == "0" ? "1" : "0"
        #expect(!APIKeys.verify(String(text.dropLast()) + last, against: record))
        #expect(!APIKeys.verify("", against: record))
        #expect(!APIKeys.verify(text + " ", against: record))
    }

    @Test func aRevokedKeyDoesNotVerify() {
        var (text, record) = APIKeys.generate(name: "a", scope: .read)
        record.revokedAt = Date()
        #expect(!APIKeys.verify(text, against: record))
    }

    @Test(arguments: [
        "", "tern", "tern_", "tern__", "Bearer tern_0123456789ab_" + String(repeating: "a", count: 48),
        "tern_0123456789ab", "tern_0123456789ab_short", "tern_0123456789a_" + String(repeating: "a", count: 48),
        "tern_0123456789ab_" + String(repeating: "a", count: 47),
        "tern_0123456789ab_" + String(repeating: "a", count: 48) + "_extra",
        "TERN_0123456789ab_" + String(repeating: "a", count: 48),
        "xern_0123456789ab_" + String(repeating: "a", count: 48),
    ])
    func malformedTextHasNoID(_ text: String) {
        #expect(APIKeys.id(of: text) == nil)
    }

    @Test func wellFormedTextHasAnID() {
        #expect(APIKeys.id(of: "tern_0123456789ab_" + String(repeating: "a", count: 48)) == "0123456789ab")
    }

    @Test func scopesIncludeTheOnesBelow() {
        let order: [KeyScope] = [.read, .predict, .deploy, .admin]
        for (i, scope) in order.enumerated() {
            for (j, required) in order.enumerated() {
                #expect(scope.allows(required) == (j <= i), "\(scope) allows \(required)")
            }
        }
    }
}
