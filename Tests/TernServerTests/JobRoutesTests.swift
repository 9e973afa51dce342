import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TernTesting
import TernRegistry
import TernServing
@testable import TernServer

/// The job routes over a real runner and `tern worker` processes.
@Suite(.serialized) struct JobRoutesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tern: URL? = TestPaths.ternExecutable

    enum HarnessError: Error { case noWorker }

    /// The application with a `deploy` and a `read` key, and MNIST as dataset `mnist`.
    final class Harness: Sendable {
        let directory: URL
        let store: SQLiteRegistryStore
        let services: ServerServices
        let deployKey: String
        let readKey: String

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-job-routes-\(UUID().uuidString)")
            let artifacts = try ArtifactStore(root: directory.appendingPathComponent("artifacts"))
            store = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite"))
            let mnist = TestPaths.mnistDirectory
            let images = try #require(FileManager.default.contents(atPath: mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz").path))
            let labels = try #require(FileManager.default.contents(atPath: mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path))
            let imagesSHA = try artifacts.put(images), labelsSHA = try artifacts.put(labels)
            _ = try await store.createDataset(name: "mnist", kind: .idx, rows: 10000, schema: "{}",
                                              files: ["images": imagesSHA, "labels": labelsSHA], sha256: imagesSHA, createdBy: nil)
            let deploy = APIKeys.generate(name: "ci", scope: .deploy), read = APIKeys.generate(name: "viewer", scope: .read)
            try await store.createKey(deploy.record)
            try await store.createKey(read.record)
            deployKey = deploy.text
            readKey = read.text
            var configuration = ServerConfiguration()
            guard let tern = JobRoutesTests.tern else { throw HarnessError.noWorker }
            configuration.workerExecutable = tern
            configuration.dataDirectory = directory
            configuration.jobTimeLimit = .seconds(60)
            configuration.jobConcurrency = 1
            services = try await testServices(configuration: configuration)
        }

        func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
            let app = Application(router: buildRouter(services))
            try await app.test(.router, body)
        }

        /// The directory goes with the harness: tests read the store after `test`.
        deinit { try? FileManager.default.removeItem(at: directory) }

        func headers(_ key: String?) -> HTTPFields {
            var fields = HTTPFields()
            if let key { fields[.authorization] = "Bearer \(key)" }
            fields[.contentType] = "application/json"
            return fields
        }
    }

    static func spec(epochs: Int) throws -> Any {
        let text = try String(contentsOf: root.appendingPathComponent("Examples/mnist-mlp.json"), encoding: .utf8)
        var spec = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var fit = try #require(spec["fit"] as? [String: Any])
        fit["epochs"] = epochs
        spec["fit"] = fit
        return spec
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func submission(epochs: Int = 1, train: String = "0:1000") throws -> [String: Any] {
        ["model": "mnist", "spec": try spec(epochs: epochs), "dataset": "mnist", "train": train, "validation": "8000:8500"]
    }
}

extension JobRoutesTests {
    @Test func submitStreamAndRead() async throws {
        let harness = try await Harness()
        try await harness.test { client in
            let id = try await client.execute(uri: "/api/v1/jobs", method: .post, headers: harness.headers(harness.deployKey),
                                              body: try Self.body(try Self.submission())) { response in
                #expect(response.status == .created)
                let job = try Self.json(response)
                #expect(job["model"] as? String == "mnist")
                #expect(job["state"] as? String == "queued")
                #expect((job["dataset"] as? [String: Any])?["name"] as? String == "mnist")
                #expect((job["dataset"] as? [String: Any])?["version"] as? Int == 1)
                #expect((job["splits"] as? [String: Any])?["train"] as? String == "0:1000")
                #expect((job["splits"] as? [String: Any])?["validation"] as? String == "8000:8500")
                #expect((job["history"] as? [Any])?.isEmpty == true)
                #expect(job["error"] is NSNull)
                #expect(job["result_version"] is NSNull)
                #expect(job["created_at"] is String)
                return try #require(job["id"] as? String)
            }
            try await client.execute(uri: "/api/v1/jobs/\(id)/events", method: .get, headers: harness.headers(harness.readKey)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                let text = String(buffer: response.body)
                #expect(text.contains("event: epoch\ndata: {"))
                #expect(text.hasSuffix("\n\n"))
                let frames = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
                let last = try #require(frames.last)
                #expect(last.hasPrefix("event: finished\ndata: "))
                let data = try #require(last.components(separatedBy: "\ndata: ").last)
                let job = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
                #expect(job["state"] as? String == "succeeded", "\(job["error"] ?? "")")
            }
            try await client.execute(uri: "/api/v1/jobs/\(id)", method: .get, headers: harness.headers(harness.readKey)) { response in
                #expect(response.status == .ok)
                let job = try Self.json(response)
                #expect(job["state"] as? String == "succeeded")
                #expect(job["result_version"] as? Int == 1)
                let history = try #require(job["history"] as? [[String: Any]])
                #expect(history.count == 1)
                #expect((history.first?["metrics"] as? [String: Any])?["val_accuracy"] is Double)
                #expect((job["spec"] as? [String: Any])?["name"] as? String == "mnist-mlp")
            }
            // A finished job's stream is its final state alone.
            try await client.execute(uri: "/api/v1/jobs/\(id)/events", method: .get, headers: harness.headers(harness.readKey)) { response in
                let text = String(buffer: response.body)
                #expect(text.hasPrefix("event: finished\ndata: {"))
                #expect(text.components(separatedBy: "event: ").count == 2)
            }
            try await client.execute(uri: "/api/v1/jobs", method: .get, headers: harness.headers(harness.readKey)) { response in
                #expect(response.status == .ok)
                let jobs = try #require(try Self.json(response)["jobs"] as? [[String: Any]])
                #expect(jobs.map { $0["id"] as? String } == [id])
            }
        }
        let version = try await harness.store.version(model: "mnist", version: 1)
        #expect(version.createdBy == APIKeys.id(of: harness.deployKey))
    }

    @Test func scopesAreEnforced() async throws {
        let harness = try await Harness()
        try await harness.test { client in
            let body = try Self.body(try Self.submission())
            try await client.execute(uri: "/api/v1/jobs", method: .post, headers: harness.headers(nil), body: body) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/jobs", method: .post, headers: harness.headers(harness.readKey), body: body) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/jobs", method: .get, headers: harness.headers(nil)) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/jobs/x/cancel", method: .post, headers: harness.headers(harness.readKey)) { response in
                #expect(response.status == .forbidden)
            }
        }
        #expect(try await harness.store.jobs().isEmpty)
    }

    @Test func badSubmissionsAnswer400Or404NamingTheProblem() async throws {
        let harness = try await Harness()
        try await harness.test { client in
            func post(_ object: [String: Any]) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/api/v1/jobs", method: .post, headers: harness.headers(harness.deployKey),
                                         body: try Self.body(object)) { response in
                    (response.status, try #require(try Self.json(response)["error"] as? String))
                }
            }
            var unknownDataset = try Self.submission()
            unknownDataset["dataset"] = "fashion"
            let (status404, message404) = try await post(unknownDataset)
            #expect(status404 == .notFound)
            #expect(message404.contains("fashion"))

            var spec = try #require(try Self.spec(epochs: 1) as? [String: Any])
            spec["layers"] = [["type": "lambda", "code": "import os"]]
            var badSpec = try Self.submission()
            badSpec["spec"] = spec
            let (status, message) = try await post(badSpec)
            #expect(status == .badRequest)
            #expect(message.hasPrefix("spec: ") && message.contains("lambda"), "\(message)")

            for (field, value) in [("train", "0:20000"), ("train", "five"), ("validation", "9000:10001")] {
                var body = try Self.submission()
                body[field] = value
                let (status, message) = try await post(body)
                #expect(status == .badRequest)
                #expect(message.hasPrefix("\(field): "), "\(message)")
            }
            var missing = try Self.submission()
            missing["train"] = nil
            let (missingStatus, missingMessage) = try await post(missing)
            #expect(missingStatus == .badRequest)
            #expect(missingMessage.contains("train"), "\(missingMessage)")
            var extra = try Self.submission()
            extra["command"] = "rm -rf /"
            let (extraStatus, extraMessage) = try await post(extra)
            #expect(extraStatus == .badRequest)
            #expect(extraMessage.hasPrefix("command: unknown field"), "\(extraMessage)")
            var notObject = try Self.submission()
            notObject["spec"] = [1, 2]
            #expect(try await post(notObject).0 == .badRequest)

            try await client.execute(uri: "/api/v1/jobs/job-missing", method: .get, headers: harness.headers(harness.readKey)) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/jobs/job-missing/events", method: .get, headers: harness.headers(harness.readKey)) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(try await harness.store.jobs().isEmpty)
    }

    @Test func cancelARunningJob() async throws {
        let harness = try await Harness()
        try await harness.test { client in
            let id = try await client.execute(uri: "/api/v1/jobs", method: .post, headers: harness.headers(harness.deployKey),
                                              body: try Self.body(try Self.submission(epochs: 200, train: "0:8000"))) { response in
                try #require(try Self.json(response)["id"] as? String)
            }
            for await event in await harness.services.jobs.events(id: id) {
                if case .progress = event { break }
            }
            try await client.execute(uri: "/api/v1/jobs/\(id)/cancel", method: .post, headers: harness.headers(harness.deployKey)) { response in
                #expect(response.status == .ok)
                let state = try Self.json(response)["state"] as? String
                #expect(state == "cancelled")
            }
            try await client.execute(uri: "/api/v1/jobs/\(id)/cancel", method: .post, headers: harness.headers(harness.deployKey)) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/jobs/nope/cancel", method: .post, headers: harness.headers(harness.deployKey)) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
