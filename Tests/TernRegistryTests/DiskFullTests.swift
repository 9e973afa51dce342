import Foundation
import Testing
import TernRegistry

/// A full disk is its own error (the server answers 507), and leaves no
/// partial file behind. Runs on a 1 MiB tmpfs, which needs root (as CI has).
@Suite struct DiskFullTests {
    static var isRoot: Bool { getuid() == 0 }

    func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(.enabled(if: isRoot)) func aFullDiskIsInsufficientStorage() throws {
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("tern-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mount) }
        try #require(run(["/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.path]) == 0, "cannot mount a tmpfs")
        defer { _ = run(["/bin/umount", mount.path]) }
        let store = try ArtifactStore(root: mount.appendingPathComponent("artifacts"))
        let small = try store.put([UInt8](repeating: 7, count: 1000))
        #expect(throws: RegistryError.insufficientStorage("the artifact")) {
            try store.put([UInt8](repeating: 1, count: 2 << 20))
        }
        // Nothing half-written stays: only the small blob's file and empty folders.
        let files = FileManager.default.enumerator(at: mount, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
        #expect(files.map(\.lastPathComponent) == [small], "\(files)")
        #expect(RegistryError.insufficientStorage("the artifact").description == "no space left to store the artifact")
    }
}
