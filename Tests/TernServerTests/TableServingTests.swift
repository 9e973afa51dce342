import Foundation
import TernTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TernData
import TernTensor
import TernFormats
import TernTraining
import TernRegistry
import TernServing
@testable import TernServer

/// Training/serving skew: for each tabular example, the server's answers
/// for raw records (with their missing values) equal the predictions
/// computed in-process on the same rows through the stored pipeline.
@Suite(.serialized) struct TableServingTests {
    static let tabular = TestPaths.tabularDirectory

    struct Served {
        let services: ServerServices
        let model: TernModel
        let held: Table
        let key: String
        let directory: URL
    }

    /// Trains `name` briefly on its CSV and serves it as `name` version 1.
    func serve(_ name: String, epochs: Int = 3, rows limit: Int? = nil) async throws -> Served {
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(contentsOf: packageRoot.appendingPathComponent("Examples/tabular/\(name).json")))
        var (table, _) = try CSVReader.read(contentsOf: Self.tabular.appendingPathComponent("\(name).csv"))
        if let limit { table = table.rows(Array(0..<limit)) }
        let (train, test) = try table.stratifiedSplit(target: spec.input.target ?? "", testFraction: 0.2, seed: 1)
        let model = try TernModel.train(spec: spec, table: table, trainRows: train, validationRows: nil, overrides: FitOverrides(epochs: epochs))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-table-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite"))
        let artifacts = try ArtifactStore(root: directory.appendingPathComponent("artifacts"))
        let bytes = try model.artifactBytes()
        let sha = try artifacts.put(bytes)
        _ = try await store.createVersion(model: name, artifactSHA256: sha, sizeBytes: bytes.count, spec: "{}", metrics: [:], lineage: Lineage(), createdBy: nil)
        let (text, record) = APIKeys.generate(name: "p", scope: .predict)
        try await store.createKey(record)
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        let services = try await testServices(configuration: configuration)
        _ = try await services.runtime.load(model: name, version: 1, artifact: bytes)
        return Served(services: services, model: model, held: table.rows(Array(test.prefix(25))), key: text, directory: directory)
    }

    /// A raw cell as JSON: missing → null, numbers and text as they are.
    func json(_ column: Column, _ row: Int) -> Any {
        switch column.values {
        case let .numbers(v): return v[row].map { $0 as Any } ?? NSNull()
        case let .strings(v): return v[row].map { $0 as Any } ?? NSNull()
        }
    }

    func expectSame(_ served: [[Double]], _ local: Tensor<Float>, _ what: String) {
        let width = local.count / max(local.shape[0], 1)
        #expect(served.count == local.shape[0], "\(what): \(served.count) rows")
        for (r, row) in served.enumerated() {
            for (j, value) in row.enumerated() {
                #expect(Float(value) == local[flat: r * width + j], "\(what) row \(r) output \(j): served \(value), local \(local[flat: r * width + j])")
            }
        }
    }

    @Test(arguments: [("titanic", nil as Int?), ("penguins", nil), ("mpg", nil), ("diamonds", 3000)])
    func rawRecordsThroughTheServerMatchInProcessPredictions(_ name: String, _ limit: Int?) async throws {
        let s = try await serve(name, rows: limit)
        defer { try? FileManager.default.removeItem(at: s.directory) }
        let local = try s.model.predict(table: s.held)
        let target = s.model.spec.input.target ?? ""
        let columns = TernModel.servingColumns(try #require(s.model.tabular))
        let rows = s.held.rowCount
        let app = Application(router: buildRouter(s.services))
        try await app.test(.router) { client in
            // TF Serving: instances as objects keyed by column, nulls for missing values.
            let instances = (0..<rows).map { r in
                Dictionary(uniqueKeysWithValues: columns.compactMap { c in s.held[c.name].map { (c.name, json($0, r)) } })
            }
            let body = try JSONSerialization.data(withJSONObject: ["instances": instances])
            let tf = try await call(client, .post, "/v1/models/\(name):predict", key: s.key, body: Array(body), contentType: "application/json")
            #expect(tf.status == .ok, "\(tf.error)")
            let predictions = try #require(tf.json["predictions"] as? [Any])
            let tfRows: [[Double]] = predictions.map { p in
                if let object = p as? [String: Any] { return (object["output"] as? [Double]) ?? [] }
                return (p as? [Double]) ?? [.nan]
            }
            expectSame(tfRows, local, "\(name) :predict")
            if s.model.tabular?.classLabels != nil {
                let labels = predictions.compactMap { ($0 as? [String: Any])?["label"] as? String }
                #expect(labels.count == rows)
            }

            // KServe V2: one tensor per column.
            let inputs: [[String: Any]] = columns.compactMap { c in
                guard let column = s.held[c.name] else { return nil }
                return ["name": c.name, "datatype": TernModel.dtype(of: c.type).v2Name, "shape": [rows], "data": (0..<rows).map { json(column, $0) }]
            }
            let v2Body = try JSONSerialization.data(withJSONObject: ["id": "skew", "inputs": inputs])
            let v2 = try await call(client, .post, "/v2/models/\(name)/infer", key: s.key, body: Array(v2Body), contentType: "application/json")
            #expect(v2.status == .ok, "\(v2.error)")
            let outputs = try #require(v2.json["outputs"] as? [[String: Any]])
            let output = try #require(outputs.first { $0["name"] as? String == "output" })
            let flat = try #require(output["data"] as? [Double])
            let width = flat.count / max(rows, 1)
            expectSame((0..<rows).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }, local, "\(name) V2")
            #expect(v2.json["id"] as? String == "skew")

            // Metadata names the raw columns, never the target.
            let meta = try await call(client, .get, "/v2/models/\(name)", key: s.key)
            let metaInputs = (meta.json["inputs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(Set(metaInputs) == Set(columns.map(\.name)) && !metaInputs.contains(target))
        }
    }

    @Test func badRecordsAreRefusedWithTheColumnNamed() async throws {
        let s = try await serve("titanic", epochs: 1)
        defer { try? FileManager.default.removeItem(at: s.directory) }
        let app = Application(router: buildRouter(s.services))
        try await app.test(.router) { client in
            for (body, mentions) in [
                (#"{"instances": [{"pclass": 3, "sex": "male", "nonsense": 1}]}"#, "nonsense"),
                (#"{"instances": [{"pclass": "third", "sex": "male"}]}"#, "pclass"),
                (#"{"instances": [3, 4]}"#, "object"),
                (#"{"inputs": [{"name": "sex", "datatype": "BYTES", "shape": [2], "data": ["male"]}]}"#, "elements"),
            ] {
                let path = body.contains("\"inputs\": [") ? "/v2/models/titanic/infer" : "/v1/models/titanic:predict"
                let r = try await call(client, .post, path, key: s.key, json: body)
                #expect(r.status == .badRequest, "\(body) → \(r.status)")
                #expect(r.error.contains(mentions), "\(body) → \(r.error)")
            }
            // Missing age and embarked follow the fitted imputation.
            let ok = try await call(client, .post, "/v1/models/titanic:predict", key: s.key,
                                    json: #"{"instances": [{"pclass": 3, "sex": "male", "age": null, "sibsp": 0, "parch": 0, "fare": 7.25, "embarked": null}]}"#)
            #expect(ok.status == .ok, "\(ok.error)")
            // A whole CSV row (the target and a column the pipeline drops included) is served too.
            let full = try await call(client, .post, "/v1/models/titanic:predict", key: s.key,
                                      json: #"{"instances": [{"pclass": 3, "sex": "male", "age": 22, "sibsp": 1, "parch": 0, "fare": 7.25, "embarked": "S", "survived": 0, "alive": "no"}]}"#)
            #expect(full.status == .ok, "\(full.error)")
            let row = (full.json["predictions"] as? [[String: Any]])?.first
            #expect(row?["label"] is String && (row?["output"] as? [Double])?.count == 1, "\(full.json)")
        }
    }
}
