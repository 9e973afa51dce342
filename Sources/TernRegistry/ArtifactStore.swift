import Foundation
import TernSupport

/// Content-addressed file storage: each blob lives at
/// `<root>/<first two hex digits>/<sha256>`. A blob is written to a
/// temporary file, fsynced and renamed into place, so a reader never sees
/// part of one, and a crash leaves at most a temporary file (removed at the
/// next start). Reads verify the checksum.
public struct ArtifactStore: Sendable {
    public let root: URL
    private var temporary: URL { root.appendingPathComponent("tmp") }

    /// Opens (creating if needed) the store under `root` and removes
    /// temporary files left by an interrupted write.
    public init(root: URL) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path) {
                try? FileManager.default.removeItem(at: root.appendingPathComponent("tmp").appendingPathComponent(name))
            }
        } catch {
            throw RegistryError.storage("cannot open the artifact directory")
        }
    }

    static func isChecksum(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The file holding blob `sha256` (which may not exist).
    /// - Throws: ``RegistryError/invalidInput(_:)`` unless `sha256` is 64 lowercase hex digits.
    public func path(for sha256: String) throws -> URL {
        guard ArtifactStore.isChecksum(sha256) else { throw RegistryError.invalidInput("not a SHA-256 checksum") }
        return root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    /// Stores `bytes` durably and returns their SHA-256 (hex). Storing the
    /// same bytes twice is a no-op.
    @discardableResult
    public func put(_ bytes: some ContiguousBytes) throws -> String {
        let sha = sha256Hex(bytes)
        let destination = try path(for: sha)
        if FileManager.default.fileExists(atPath: destination.path) { return sha }
        let tmp = temporary.appendingPathComponent(UUID().uuidString)
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.withUnsafeBytes { try writeSynced($0, to: tmp) }
            guard rename(tmp.path, destination.path) == 0 else { throw RegistryError.storage("rename failed") }
            syncDirectory(destination.deletingLastPathComponent())
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            if case RegistryError.insufficientStorage = error { throw error }
            throw RegistryError.storage("cannot write an artifact")
        }
        return sha
    }

    /// The blob's bytes, verified against its checksum.
    /// - Throws: ``RegistryError/notFound(_:)`` or ``RegistryError/checksumMismatch(_:)``.
    public func read(_ sha256: String) throws -> [UInt8] {
        let url = try path(for: sha256)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RegistryError.notFound("artifact \(sha256.prefix(12))")
        }
        let actual = sha256Hex(data)
        guard actual == sha256 else { throw RegistryError.checksumMismatch("artifact \(sha256.prefix(12)) is corrupt on disk") }
        return [UInt8](data)
    }

    public func contains(_ sha256: String) -> Bool {
        guard let url = try? path(for: sha256) else { return false }
        return FileManager.default.fileExists(atPath: url.path)
    }

    public func delete(_ sha256: String) throws {
        let url = try path(for: sha256)
        try? FileManager.default.removeItem(at: url)
    }

    /// Total bytes of stored blobs (regular files outside `tmp`; directories
    /// and temporary files are not counted).
    public func totalBytes() -> Int {
        let keys: [URLResourceKey] = [.fileSizeKey, .isRegularFileKey]
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys) else { return 0 }
        var total = 0
        for case let url as URL in e where url.deletingLastPathComponent().lastPathComponent != "tmp" {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true else { continue }
            total += values.fileSize ?? 0
        }
        return total
    }

    /// Deletes blobs that nothing references (after a crash between storing a
    /// blob and committing its row).
    public func removeUnreferenced(keeping referenced: Set<String>) {
        guard let dirs = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return }
        for dir in dirs where dir.count == 2 {
            let folder = root.appendingPathComponent(dir)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where !referenced.contains(name) {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}

private func writeSynced(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else { throw RegistryError.storage("open failed") }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else {
            if errno == ENOSPC || errno == EDQUOT { throw RegistryError.insufficientStorage("the artifact") }
            throw RegistryError.storage("write failed")
        }
        offset += n
    }
    guard fsync(fd) == 0 else {
        if errno == ENOSPC || errno == EDQUOT { throw RegistryError.insufficientStorage("the artifact") }
        throw RegistryError.storage("fsync failed")
    }
}

private func syncDirectory(_ url: URL) {
    let fd = open(url.path, O_RDONLY)
    if fd >= 0 { fsync(fd); close(fd) }
}
