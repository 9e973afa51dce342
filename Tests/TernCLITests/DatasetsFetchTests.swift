import Crypto
import Foundation
import TernData
import Testing

/// `tern datasets fetch` against a local HTTP server: verification,
/// resume within a run and across runs, and one-line errors.
struct DatasetsFetchTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-fetch-\(UUID().uuidString)")
    var out: URL { work.appendingPathComponent("out") }

    /// 2 MiB of deterministic bytes.
    static let good: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<(2 << 20)).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }()

    /// The same size with one byte flipped.
    static let corrupt: [UInt8] = {
        var bytes = good
        bytes[1_234_567] ^= 0xFF
        return bytes
    }()

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    init() throws { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) }

    /// Writes a manifest of `files` (name, url, sha256, size) and returns its path.
    func manifest(_ files: [(name: String, url: String, sha256: String, size: Int?)], extract: [String: [String]] = [:]) throws -> String {
        let entries: [[String: Any]] = files.map { file in
            var entry: [String: Any] = ["name": file.name, "url": file.url, "sha256": file.sha256]
            if let size = file.size { entry["size"] = size }
            if let members = extract[file.name] { entry["extract"] = members }
            return entry
        }
        let url = work.appendingPathComponent("manifest-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["name": "test", "files": entries]).write(to: url)
        return url.path
    }

    func fetch(_ manifest: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["datasets", "fetch", "--manifest", manifest, "--dir", out.path] + extra, in: work)
    }

    func contents(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: out.appendingPathComponent(name).path).map { [UInt8]($0) }
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path) }

    func stderrLines(_ result: CLI.Result) -> [Substring] { result.stderr.split(separator: "\n") }

    @Test func downloadsAndVerifies() throws {
        let server = try FileServer(routes: ["good.bin": .file(Self.good)])
        defer { server.stop() }
        let r = try fetch(try manifest([("good.bin", server.url("good.bin"), Self.sha256(Self.good), Self.good.count)]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(contents("good.bin") == Self.good)
        #expect(!exists("good.bin.part"))
        #expect(r.stdout.contains("good.bin: downloaded and verified"), "\(r.stdout)")
        #expect(r.stdout.contains(out.path), "\(r.stdout)")
        // Not a terminal: plain progress lines, no carriage returns.
        #expect(r.stderr.contains("good.bin: 2.1 MB / 2.1 MB  100%"), "\(r.stderr)")
        #expect(!r.stderr.contains("\r"))
        #expect(server.requests(for: "good.bin").count == 1)
        #expect(server.requests(for: "good.bin").first?.range == nil)
    }

    @Test func resumesAfterTheConnectionDrops() throws {
        let cut = 700_000
        let server = try FileServer(routes: ["flaky.bin": .dropOnce(Self.good, cut: cut)])
        defer { server.stop() }
        let r = try fetch(try manifest([("flaky.bin", server.url("flaky.bin"), Self.sha256(Self.good), nil)]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(contents("flaky.bin") == Self.good)
        #expect(!exists("flaky.bin.part"))
        let requests = server.requests(for: "flaky.bin")
        #expect(requests.count == 2, "\(requests)")
        #expect(requests.first?.range == nil)
        // The resume starts after the bytes that reached the disk: some, and
        // no more than were sent (the client may drop what it buffered when
        // the connection fails).
        let resumedAt = requests.last?.range.flatMap { Int($0.dropFirst("bytes=".count).dropLast()) }
        #expect(resumedAt.map { $0 > 0 && $0 <= cut } == true, "\(requests)")
        #expect(r.stderr.contains("resuming at"), "\(r.stderr)")
    }

    @Test func resumesAPartialFileFromAnEarlierRun() throws {
        let server = try FileServer(routes: ["good.bin": .file(Self.good)])
        defer { server.stop() }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let half = Self.good.count / 2
        try Data(Self.good[0..<half]).write(to: out.appendingPathComponent("good.bin.part"))
        let r = try fetch(try manifest([("good.bin", server.url("good.bin"), Self.sha256(Self.good), Self.good.count)]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(contents("good.bin") == Self.good)
        #expect(!exists("good.bin.part"))
        #expect(server.requests(for: "good.bin").map(\.range) == ["bytes=\(half)-"])
    }

    @Test func checksumMismatchIsDiscarded() throws {
        let server = try FileServer(routes: ["corrupt.bin": .file(Self.corrupt)])
        defer { server.stop() }
        let expected = Self.sha256(Self.good), actual = Self.sha256(Self.corrupt)
        let r = try fetch(try manifest([("corrupt.bin", server.url("corrupt.bin"), expected, Self.good.count)]), ["--quiet"])
        #expect(r.status != 0)
        #expect(stderrLines(r).count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: checksum mismatch for corrupt.bin"), "\(r.stderr)")
        #expect(r.stderr.contains(expected) && r.stderr.contains(actual), "\(r.stderr)")
        #expect(!exists("corrupt.bin"))
        #expect(!exists("corrupt.bin.part"))
    }

    @Test func verifiedFileIsSkippedWithoutARequest() throws {
        let server = try FileServer(routes: ["good.bin": .file(Self.good)])
        defer { server.stop() }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data(Self.good).write(to: out.appendingPathComponent("good.bin"))
        let r = try fetch(try manifest([("good.bin", server.url("good.bin"), Self.sha256(Self.good), Self.good.count)]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("good.bin: already downloaded"), "\(r.stdout)")
        #expect(server.requests.isEmpty)
    }

    @Test func replacesAFinalFileThatDoesNotVerify() throws {
        let server = try FileServer(routes: ["good.bin": .file(Self.good)])
        defer { server.stop() }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data(Self.corrupt).write(to: out.appendingPathComponent("good.bin"))
        let r = try fetch(try manifest([("good.bin", server.url("good.bin"), Self.sha256(Self.good), Self.good.count)]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(contents("good.bin") == Self.good)
        #expect(server.requests(for: "good.bin").count == 1)
    }

    @Test func httpErrorIsOneLine() throws {
        let server = try FileServer(routes: [:])
        defer { server.stop() }
        let url = server.url("missing.bin")
        let r = try fetch(try manifest([("missing.bin", url, Self.sha256(Self.good), nil)]))
        #expect(r.status != 0)
        #expect(stderrLines(r).count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(url) && r.stderr.contains("404"), "\(r.stderr)")
        #expect(!exists("missing.bin") && !exists("missing.bin.part"))
        #expect(server.requests.count == 1, "a 404 is not retried")
    }

    @Test func unknownDatasetListsTheKnownOnes() throws {
        let r = try CLI.run(["datasets", "fetch", "unknown-name"], in: work)
        #expect(r.status != 0)
        #expect(stderrLines(r).count == 1, "\(r.stderr)")
        for text in ["unknown-name", "cifar10", "fashion-mnist"] { #expect(r.stderr.contains(text), "\(r.stderr)") }
    }

    @Test func mirrorReplacesTheHost() throws {
        let server = try FileServer(routes: ["mirror/good.bin": .file(Self.good)])
        defer { server.stop() }
        let r = try fetch(try manifest([("good.bin", "http://127.0.0.1:9/nowhere/good.bin", Self.sha256(Self.good), nil)]),
                          ["--mirror", server.url("mirror/")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(contents("good.bin") == Self.good)
    }

    // MARK: tar.gz extraction

    /// A ustar archive of regular files (and a directory entry for `dir`).
    static func tarGz(_ files: [(path: String, bytes: [UInt8])], dir: String? = nil) throws -> [UInt8] {
        func header(_ name: String, size: Int, type: UInt8) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
            put(name, at: 0)
            put("0000644", at: 100); put("0000000", at: 108); put("0000000", at: 116)
            put(String(format: "%011o", size), at: 124)
            put("00000000000", at: 136)
            h[156] = type
            put("ustar", at: 257); put("00", at: 263)
            for i in 148..<156 { h[i] = 32 }
            put(String(format: "%06o", h.reduce(0) { $0 + Int($1) }) + "\0", at: 148)
            return h
        }
        var tar = [UInt8]()
        if let dir { tar += header(dir + "/", size: 0, type: UInt8(ascii: "5")) }
        for file in files {
            tar += header(file.path, size: file.bytes.count, type: UInt8(ascii: "0"))
            tar += file.bytes
            tar += [UInt8](repeating: 0, count: (512 - file.bytes.count % 512) % 512)
        }
        tar += [UInt8](repeating: 0, count: 1024)
        return try Gzip.compress(tar)
    }

    @Test func extractsChosenMembersOfATarGz() throws {
        let batch = Array(Self.good[0..<300_001]), meta = Array("airplane\nautomobile\n".utf8)
        let archive = try Self.tarGz([("batches/data.bin", batch), ("batches/meta.txt", meta), ("batches/readme.html", [1, 2, 3])], dir: "batches")
        let server = try FileServer(routes: ["a.tar.gz": .file(archive)])
        defer { server.stop() }
        let m = try manifest([("a.tar.gz", server.url("a.tar.gz"), Self.sha256(archive), archive.count)],
                             extract: ["a.tar.gz": ["data.bin", "meta.txt"]])
        let r = try fetch(m)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(contents("data.bin") == batch)
        #expect(contents("meta.txt") == meta)
        #expect(!exists("readme.html") && !exists("data.bin.part"))

        let again = try fetch(m)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already extracted"), "\(again.stdout)")
        #expect(server.requests.count == 1)
    }

    @Test func refusesUnsafeArchiveEntries() throws {
        let archive = try Self.tarGz([("../evil.bin", [1, 2, 3])])
        let server = try FileServer(routes: ["bad.tar.gz": .file(archive)])
        defer { server.stop() }
        let r = try fetch(try manifest([("bad.tar.gz", server.url("bad.tar.gz"), Self.sha256(archive), nil)],
                                       extract: ["bad.tar.gz": ["evil.bin"]]), ["--quiet"])
        #expect(r.status != 0)
        #expect(stderrLines(r).count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("unsafe archive entry '../evil.bin'"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("evil.bin").path))
        #expect(!exists("evil.bin"))
    }
}
