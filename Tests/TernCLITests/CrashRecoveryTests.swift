import Foundation
import TernTesting
import TernFormats
import Testing

/// A server killed with SIGKILL mid-upload or mid-job, then restarted:
/// no partial artifact is visible, no row points at a missing file, the
/// interrupted job is failed and its worker gone. Also graceful shutdown
/// and the refusal to listen openly without an admin key.
@Suite(.serialized) struct CrashRecoveryTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-crash-\(UUID().uuidString)")
    var mnist: URL { TestPaths.mnistDirectory }
    var mlp: URL { CLI.root.appendingPathComponent("Examples/mnist-mlp.json") }

    /// A fresh server in its own folder under `work`.
    func makeServer(_ name: String = "data") throws -> LiveServer {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        return LiveServer(dataDirectory: work.appendingPathComponent(name), adminKey: makeKeyText())
    }

    /// A real (untrained) MNIST MLP artifact; seeds give different bytes.
    func artifact(seed: UInt64 = 1) throws -> [UInt8] {
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(contentsOf: mlp))
        return try TernModel(spec: spec, seed: seed).artifactBytes()
    }

    /// Opens an upload of `bytes` as a new version of `model` and sends the
    /// head and the first `sent` bytes of the body.
    func beginUpload(_ server: LiveServer, model: String, _ bytes: [UInt8], sending sent: Int) throws -> RawConnection {
        let connection = try RawConnection(port: server.port)
        try connection.write(RawConnection.head("POST", "/api/v1/models/\(model)/versions", key: server.adminKey,
                                                contentType: "application/octet-stream", length: bytes.count))
        try connection.write(bytes.prefix(sent))
        return connection
    }

    @Test func killDuringAnUploadLeavesNoVersionAndNoBlob() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try makeServer()
        try await server.start()
        defer { server.stop() }
        _ = try await server.json("POST", "/api/v1/models", ["name": "m"])
        let bytes = try artifact()
        let connection = try beginUpload(server, model: "m", bytes, sending: bytes.count / 2)
        try await Task.sleep(for: .milliseconds(200))
        server.stop(signal: SIGKILL)
        _ = connection

        try await server.start()
        let versions = try await server.json("GET", "/api/v1/models/m/versions")["versions"] as? [Any]
        #expect(versions?.isEmpty == true, "\(String(describing: versions))")
        try await RecoveryChecks.expectConsistent(server)
    }

    @Test func killRightAfterAWholeUploadLeavesAllOrNothing() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try makeServer()
        try await server.start()
        defer { server.stop() }
        for (round, delay) in [0, 2, 5, 10, 20, 40].enumerated() {
            let model = "race\(round)"
            _ = try await server.json("POST", "/api/v1/models", ["name": model])
            let bytes = try artifact(seed: UInt64(round + 10))
            let connection = try beginUpload(server, model: model, bytes, sending: bytes.count)
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            server.stop(signal: SIGKILL)
            _ = connection

            try await server.start()
            let versions = try await server.json("GET", "/api/v1/models/\(model)/versions")["versions"] as? [[String: Any]] ?? []
            #expect(versions.count <= 1)
            if let number = versions.first?["version"] as? Int {
                let (status, downloaded) = try await server.get("/api/v1/models/\(model)/versions/\(number)/artifact")
                #expect(status == 200)
                #expect([UInt8](downloaded) == bytes, "round \(round): the stored artifact differs from the upload")
            }
            try await RecoveryChecks.expectConsistent(server)
        }
    }

    @Test func killDuringATrainingJobFailsTheJobAndEndsItsWorker() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try makeServer()
        try await server.start()
        defer { server.stop() }
        let upload = try server.cli(["datasets", "upload", "mnist",
                                     "--images", mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz").path,
                                     "--labels", mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path])
        try #require(upload.status == 0, "\(upload.stderr)")

        var spec = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: mlp)) as? [String: Any])
        var fit = spec["fit"] as? [String: Any] ?? [:]
        fit["epochs"] = 200
        spec["fit"] = fit
        let submitted = try await server.json("POST", "/api/v1/jobs", ["model": "long", "spec": spec, "dataset": "mnist", "train": "0:8000"])
        let id = try #require(submitted["id"] as? String)

        var job: [String: Any] = [:]
        for _ in 0..<300 {
            job = try await server.json("GET", "/api/v1/jobs/\(id)")
            if job["state"] as? String == "running", (job["history"] as? [Any])?.isEmpty == false { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(job["state"] as? String == "running" && (job["history"] as? [Any])?.isEmpty == false, "\(job)")
        let serverPID = try #require(server.processIdentifier)
        let workers = ProcessTable.workers(of: serverPID)
        try #require(workers.count == 1, "workers of the server: \(workers)")
        let scratch = server.dataDirectory.appendingPathComponent("scratch")
        #expect(RecoveryChecks.contents(of: scratch) == [id])

        server.stop(signal: SIGKILL)
        let deadline = ContinuousClock.now + .seconds(2)
        while workers.contains(where: ProcessTable.isAlive), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!workers.contains(where: ProcessTable.isAlive), "the worker outlived the server")

        try await server.start()
        let after = try await server.json("GET", "/api/v1/jobs/\(id)")
        #expect(after["state"] as? String == "failed", "\(after)")
        #expect((after["error"] as? String)?.contains("server stopped") == true, "\(after)")
        let (status, body) = try await server.get("/api/v1/models/long/versions")
        let versions = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["versions"] as? [Any]
        #expect(status == 404 || versions?.isEmpty == true, "\(status) \(String(decoding: body, as: UTF8.self))")
        #expect(RecoveryChecks.contents(of: scratch).isEmpty, "scratch files left: \(RecoveryChecks.contents(of: scratch))")
        try await RecoveryChecks.expectConsistent(server)
    }
}
