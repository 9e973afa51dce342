import Foundation
import Testing
@testable import TernRegistry

/// The content-addressed artifact store, in a temporary directory removed
/// when each test ends.
final class ArtifactStoreTests {
    let root: URL

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-artifacts-\(UUID().uuidString)")
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// SHA-256 of "abc" (FIPS 180-2 test vector).
    static let abcSHA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    /// Every blob file under the root (not temporary files).
    func blobFiles() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return entries.filter { $0.count == 2 }.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path)) ?? [])
        }.sorted()
    }

    @Test func putReturnsTheSHA256AndStoresUnderIt() throws {
        let store = try ArtifactStore(root: root)
        let sha = try store.put(Array("abc".utf8))
        #expect(sha == Self.abcSHA)
        #expect(store.contains(sha))
        #expect(try store.path(for: sha).path.hasSuffix("/ba/\(Self.abcSHA)"))
        #expect(try store.read(sha) == Array("abc".utf8))
        #expect(store.totalBytes() == 3)
    }

    @Test func putIsIdempotent() throws {
        let store = try ArtifactStore(root: root)
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let first = try store.put(bytes)
        let second = try store.put(Data(bytes))
        #expect(first == second)
        #expect(blobFiles() == [first])
        #expect(store.totalBytes() == bytes.count)
        #expect(try store.read(first) == bytes)
        let empty = try store.put([UInt8]())
        #expect(empty == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try store.read(empty).isEmpty)
    }

    @Test func readDetectsCorruption() throws {
        let store = try ArtifactStore(root: root)
        let sha = try store.put(Array("the real model".utf8))
        try Data("tampered bytes".utf8).write(to: try store.path(for: sha))
        #expect(throws: RegistryError.checksumMismatch("artifact \(sha.prefix(12)) is corrupt on disk")) {
            try store.read(sha)
        }
        // A truncated file is corrupt too.
        try Data().write(to: try store.path(for: sha))
        let error = #expect(throws: RegistryError.self) { try store.read(sha) }
        if case .checksumMismatch? = error {} else { Issue.record("expected a checksum mismatch, got \(String(describing: error))") }
        #expect(!(error?.description.contains(root.path) ?? true))
    }

    @Test func readOfAMissingBlobIsNotFound() throws {
        let store = try ArtifactStore(root: root)
        let missing = String(repeating: "0", count: 64)
        #expect(throws: RegistryError.notFound("artifact 000000000000")) { try store.read(missing) }
        #expect(!store.contains(missing))
    }

    @Test(arguments: ["", "abc", "../../etc/passwd", String(repeating: "a", count: 63), String(repeating: "a", count: 65),
                      String(repeating: "A", count: 64), String(repeating: "g", count: 64),
                      "../" + String(repeating: "a", count: 61), String(repeating: "a", count: 62) + "/a"])
    func invalidChecksumsAreRejected(_ text: String) throws {
        let store = try ArtifactStore(root: root)
        #expect(throws: RegistryError.invalidInput("not a SHA-256 checksum")) { try store.path(for: text) }
        #expect(throws: RegistryError.invalidInput("not a SHA-256 checksum")) { try store.read(text) }
        #expect(throws: RegistryError.invalidInput("not a SHA-256 checksum")) { try store.delete(text) }
        #expect(!store.contains(text))
    }

    @Test func initRemovesLeftoverTemporaryFiles() throws {
        let tmp = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        for name in ["partial-1", "partial-2"] {
            try Data("half a blob".utf8).write(to: tmp.appendingPathComponent(name))
        }
        let keep = try ArtifactStore(root: root).put(Array("keep".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        // Reopening keeps stored blobs.
        let reopened = try ArtifactStore(root: root)
        #expect(try reopened.read(keep) == Array("keep".utf8))
    }

    @Test func removeUnreferencedKeepsOnlyReferencedBlobs() throws {
        let store = try ArtifactStore(root: root)
        let a = try store.put(Array("a".utf8))
        let b = try store.put(Array("b".utf8))
        let c = try store.put(Array("c".utf8))
        store.removeUnreferenced(keeping: [a, c, String(repeating: "f", count: 64)])
        #expect(store.contains(a) && !store.contains(b) && store.contains(c))
        #expect(blobFiles() == [a, c].sorted())
        #expect(try store.read(c) == Array("c".utf8))
        store.removeUnreferenced(keeping: [])
        #expect(blobFiles().isEmpty)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("tmp").path))
    }

    @Test func deleteRemovesABlob() throws {
        let store = try ArtifactStore(root: root)
        let sha = try store.put(Array("gone soon".utf8))
        try store.delete(sha)
        #expect(!store.contains(sha))
        try store.delete(sha) // deleting twice is fine
        #expect(store.totalBytes() == 0)
    }

    @Test func anUnusableRootIsAStorageErrorWithoutThePath() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let error = #expect(throws: RegistryError.self) { try ArtifactStore(root: file) }
        #expect(error == .storage("cannot open the artifact directory"))
        #expect(!(error?.description.contains(root.path) ?? true))
    }
}
