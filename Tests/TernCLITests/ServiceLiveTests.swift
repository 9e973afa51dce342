import Foundation
import TernTesting
import Testing

/// The acceptance path through a real server: real sockets, a real SQLite
/// file, training in a worker process, inference over V2 and :predict, and a
/// restart that keeps everything.
@Suite(.serialized) struct ServiceLiveTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-live-\(UUID().uuidString)")
    var mnist: URL { TestPaths.mnistDirectory }
    var mlp: String { CLI.root.appendingPathComponent("Examples/mnist-mlp.json").path }

    func classes(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            guard let r = line.range(of: "class ") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
    }

    @Test func mnistJobToInferenceAndRestart() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work.appendingPathComponent("data"), adminKey: makeKeyText())
        try await server.start()
        defer { server.stop() }

        let created = try server.cli(["keys", "create", "--scope", "predict", "--print-only"])
        let predictKey = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(predictKey.hasPrefix("tern_"), "\(created.stderr)")

        let upload = try server.cli(["datasets", "upload", "mnist",
                                     "--images", mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz").path,
                                     "--labels", mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path])
        #expect(upload.status == 0, "\(upload.stderr)")

        let job = try server.cli(["jobs", "submit", mlp, "--model", "mnist", "--dataset", "mnist",
                                  "--train", "0:8000", "--validation", "8000:10000", "--watch"])
        #expect(job.status == 0, "\(job.stdout)\n\(job.stderr)")
        #expect(job.stdout.contains("succeeded"), "\(job.stdout)")
        #expect(job.stdout.contains("val_accuracy"), "\(job.stdout)")
        // Each epoch line shows that epoch's own time, as Keras does (not the
        // time since the job started): the seconds the job recorded for it.
        let jobID = try #require(job.stdout.split(separator: " ").dropFirst().first.map(String.init), "\(job.stdout)")
        let history = try #require(try await server.json("GET", "/api/v1/jobs/\(jobID)")["history"] as? [[String: Any]])
        let recorded = Set(history.compactMap { ($0["seconds"] as? Double).map { $0 < 10 ? String(format: "%.2fs", $0) : String(format: "%.0fs", $0) } })
        let epochLines = job.stdout.split(separator: "\n").filter { $0.hasSuffix("/step") || $0.contains("/step - ") }
        #expect(!epochLines.isEmpty, "\(job.stdout)")
        for line in epochLines {
            let shown = line.split(separator: " ").first { $0.hasSuffix("s") && Double($0.dropLast()) != nil }.map(String.init)
            #expect(shown.map(recorded.contains) == true, "\(line) vs recorded \(recorded.sorted())")
        }

        let version = try await server.json("GET", "/api/v1/models/mnist/versions/1")
        let metrics = try #require(version["metrics"] as? [String: Any])
        #expect(((metrics["accuracy"] as? Double) ?? 0) > 0.93, "\(metrics)")
        let lineage = try #require(version["lineage"] as? [String: Any])
        #expect(lineage["run_id"] is String && lineage["dataset_sha256"] is String, "\(lineage)")

        #expect(try server.cli(["models", "alias", "mnist", "production", "1"]).status == 0)
        let deploy = try server.cli(["deploy", "mnist", "--alias", "production"])
        #expect(deploy.status == 0, "\(deploy.stderr)")

        let v2 = try server.cli(["infer", "mnist", "--version", "production", "--range", "8000:8100", "--data", mnist.path], key: predictKey)
        #expect(v2.status == 0, "\(v2.stderr)")
        let tf = try server.cli(["infer", "mnist", "--version", "production", "--range", "8000:8100", "--data", mnist.path,
                                 "--protocol", "tfserving"], key: predictKey)
        #expect(tf.status == 0, "\(tf.stderr)")

        let (status, artifact) = try await server.get("/api/v1/models/mnist/versions/1/artifact")
        #expect(status == 200)
        let file = work.appendingPathComponent("downloaded.tern")
        try artifact.write(to: file)
        let local = try CLI.run(["predict", file.path, "--range", "8000:8100", "--data", mnist.path])
        #expect(local.status == 0)
        let expected = classes(local.stdout)
        #expect(expected.count == 100)
        #expect(classes(v2.stdout) == expected)
        #expect(classes(tf.stdout) == expected)

        // A restart keeps models, versions, aliases, runs, keys and deployments.
        server.stop()
        try await server.start()
        let model = try await server.json("GET", "/api/v1/models/mnist")
        #expect(String(describing: model).contains("production"), "\(model)")
        let again = try await server.json("GET", "/api/v1/models/mnist/versions/1")
        #expect(again["artifact_sha256"] as? String == version["artifact_sha256"] as? String)
        let runID = try #require(lineage["run_id"] as? String)
        let run = try await server.json("GET", "/api/v1/runs/\(runID)")
        #expect((run["history"] as? [Any])?.count == 5, "\(run)")
        #expect((run["final_metrics"] as? [String: Any])?["val_accuracy"] != nil || (run["final_metrics"] as? [String: Any])?["accuracy"] != nil)
        let keys = try await server.json("GET", "/api/v1/keys")
        #expect((keys["keys"] as? [Any])?.count == 2)
        // A locally trained artifact uploads as version 1 of a new model.
        let uploaded = try server.cli(["models", "upload", "mnist-copy", file.path])
        #expect(uploaded.status == 0 && uploaded.stdout.contains("version 1"), "\(uploaded.stdout) \(uploaded.stderr)")
        let after = try server.cli(["infer", "mnist", "--range", "8000:8100", "--data", mnist.path], key: predictKey)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(classes(after.stdout) == expected)
    }
}

/// A table model end to end through the service: CSV upload, a training
/// job on the held-out split, deployment, raw JSON records with missing values.
@Suite(.serialized) struct TableServiceLiveTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-live-table-\(UUID().uuidString)")

    @Test func titanicJobServesRawRecords() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let csv = TestPaths.tabularDirectory.appendingPathComponent("titanic.csv").path
        let spec = CLI.root.appendingPathComponent("Examples/tabular/titanic.json").path
        let server = LiveServer(dataDirectory: work.appendingPathComponent("data"), adminKey: makeKeyText())
        try await server.start()
        defer { server.stop() }

        let upload = try server.cli(["datasets", "upload", "titanic", "--csv", csv])
        #expect(upload.status == 0, "\(upload.stderr)")
        let job = try server.cli(["jobs", "submit", spec, "--model", "titanic", "--dataset", "titanic",
                                  "--test-fraction", "0.2", "--split-seed", "1", "--watch"])
        #expect(job.status == 0, "\(job.stdout)\n\(job.stderr)")
        let version = try await server.json("GET", "/api/v1/models/titanic/versions/1")
        let accuracy = (version["metrics"] as? [String: Any])?["accuracy"] as? Double ?? 0
        #expect(accuracy > 0.78, "held-out accuracy \(accuracy)")

        // The same split trained locally gives the same held-out accuracy.
        let local = try CLI.run(["train", spec, "--csv", csv, "--split-seed", "1", "--output", work.appendingPathComponent("t.tern").path, "--quiet"])
        #expect(local.status == 0, "\(local.stderr)")
        let evaluated = try CLI.run(["evaluate", work.appendingPathComponent("t.tern").path, "--csv", csv, "--split-seed", "1"])
        let localAccuracy = evaluated.stdout.split(separator: "\n").first { $0.hasPrefix("accuracy: ") }.flatMap { Double($0.dropFirst(10)) }
        #expect(localAccuracy.map { abs($0 - accuracy) < 1e-3 } == true, "local \(String(describing: localAccuracy)) vs job \(accuracy)")

        #expect(try server.cli(["deploy", "titanic", "--version", "1"]).status == 0)
        let (status, data) = try await server.request("POST", "/v1/models/titanic:predict", json: ["instances": [
            ["pclass": 3, "sex": "male", "age": NSNull(), "sibsp": 0, "parch": 0, "fare": 7.25, "embarked": NSNull()],
            ["pclass": 1, "sex": "female", "age": 38, "sibsp": 1, "parch": 0, "fare": 71.28, "embarked": "C"],
        ]])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        let predictions = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["predictions"] as? [[String: Any]] ?? []
        #expect(predictions.map { $0["label"] as? String } == ["0", "1"], "\(predictions)")
    }
}
