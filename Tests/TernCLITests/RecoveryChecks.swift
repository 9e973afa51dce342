import Foundation
import Testing

/// Checks of a data directory after a crash and restart, through a live
/// server and the files themselves.
enum RecoveryChecks {
    /// Every version's artifact downloads (the server verifies its checksum
    /// as it reads), every blob on disk is referenced by a version or a
    /// dataset, and no temporary file is left.
    static func expectConsistent(_ server: LiveServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var referenced = Set<String>()
        let models = try await server.json("GET", "/api/v1/models")["models"] as? [[String: Any]] ?? []
        for name in models.compactMap({ $0["name"] as? String }) {
            let versions = try await server.json("GET", "/api/v1/models/\(name)/versions")["versions"] as? [[String: Any]] ?? []
            for version in versions {
                let number = version["version"] as? Int ?? 0
                let (status, _) = try await server.get("/api/v1/models/\(name)/versions/\(number)/artifact")
                #expect(status == 200, "artifact of \(name) v\(number) → \(status)", sourceLocation: sourceLocation)
                if let sha = version["artifact_sha256"] as? String { referenced.insert(sha) }
            }
        }
        let datasets = try await server.json("GET", "/api/v1/datasets")["datasets"] as? [[String: Any]] ?? []
        for dataset in datasets {
            for case let sha as String in (dataset["files"] as? [String: Any] ?? [:]).values { referenced.insert(sha) }
        }
        let root = server.dataDirectory.appendingPathComponent("artifacts")
        let unreferenced = blobs(under: root).subtracting(referenced)
        #expect(unreferenced.isEmpty, "blobs nothing references: \(unreferenced.sorted())", sourceLocation: sourceLocation)
        let temporary = contents(of: root.appendingPathComponent("tmp"))
        #expect(temporary.isEmpty, "temporary files left: \(temporary)", sourceLocation: sourceLocation)
    }

    /// The names of the blobs in the artifact store at `root`
    /// (`<two hex digits>/<sha256>`).
    static func blobs(under root: URL) -> Set<String> {
        var names = Set<String>()
        for folder in contents(of: root) where folder.count == 2 {
            names.formUnion(contents(of: root.appendingPathComponent(folder)))
        }
        return names
    }

    /// The entries of a folder (none if it does not exist).
    static func contents(of folder: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    }
}

/// Processes seen through `/proc` (Linux).
enum ProcessTable {
    /// The children of `parent` running `tern worker`.
    static func workers(of parent: Int32) -> [Int32] {
        contents("/proc").compactMap { Int32($0) }.filter { pid in
            guard let (_, ppid) = status(of: pid), ppid == parent else { return false }
            let arguments = read("/proc/\(pid)/cmdline").split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.dropFirst().first == "worker"
        }
    }

    /// True while `pid` exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let (state, _) = status(of: pid) else { return false }
        return state != "Z" && state != "X"
    }

    /// The state letter and parent pid from `/proc/<pid>/stat`.
    private static func status(of pid: Int32) -> (state: Character, parent: Int32)? {
        let text = String(decoding: read("/proc/\(pid)/stat"), as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (state, parent)
    }

    private static func read(_ path: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return [UInt8]((try? handle.readToEnd()) ?? Data())
    }

    private static func contents(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }
}
