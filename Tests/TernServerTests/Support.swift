import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TernTesting
import TernFormats
import TernRegistry
import TernServer
import TernServing
import TernTensor

/// The package root, found from this file's path.

/// The example MLP with seeded weights.
func exampleModel(seed: UInt64) throws -> TernModel {
    let data = try Data(contentsOf: packageRoot.appendingPathComponent("Examples/mnist-mlp.json"))
    return try TernModel(spec: try JSONDecoder().decode(ModelSpec.self, from: data), seed: seed)
}

/// A server over an in-memory registry holding model `mnist` versions 1
/// and 2 (different weights) and version 3 (registered, not loaded), with
/// aliases `production` → 1 and `staging` → 2, plus keys of every scope.
struct Fixture {
    let services: ServerServices
    let store: SQLiteRegistryStore
    /// The models registered as versions 1, 2 and 3.
    let models: [Int: TernModel]
    let adminKey: String
    let deployKey: String
    let predictKey: String
    let readKey: String
    let directory: URL

    static func make(loaded: [Int] = [1, 2], metrics: ServerMetrics = ServerMetrics(),
                     configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> Fixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-server-tests-\(UUID().uuidString)")
        let artifacts = try ArtifactStore(root: directory.appendingPathComponent("artifacts"))
        let store = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite"))
        var models: [Int: TernModel] = [:]
        for version in 1...3 {
            let model = try exampleModel(seed: UInt64(version))
            let bytes = try model.artifactBytes()
            let sha = try artifacts.put(bytes)
            let spec = String(decoding: try JSONEncoder().encode(model.spec), as: UTF8.self)
            let record = try await store.createVersion(model: "mnist", artifactSHA256: sha, sizeBytes: bytes.count, spec: spec,
                                                       metrics: [:], lineage: Lineage(), createdBy: nil)
            #expect(record.version == version)
            models[version] = model
        }
        _ = try await store.setAlias(model: "mnist", alias: "production", version: 1, by: nil)
        _ = try await store.setAlias(model: "mnist", alias: "staging", version: 2, by: nil)
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        configure(&configuration)
        var keys: [KeyScope: String] = [:]
        for scope in KeyScope.allCases {
            let (text, record) = APIKeys.generate(name: "test-\(scope.rawValue)", scope: scope)
            try await store.createKey(record)
            keys[scope] = text
        }
        let services = try await testServices(configuration: configuration, metrics: metrics)
        for version in loaded {
            try await services.runtime.load(model: "mnist", version: version, artifact: try artifacts.read(try await store.version(model: "mnist", version: version).artifactSHA256))
        }
        return Fixture(services: services, store: store, models: models, adminKey: keys[.admin] ?? "", deployKey: keys[.deploy] ?? "",
                       predictKey: keys[.predict] ?? "", readKey: keys[.read] ?? "", directory: directory)
    }

    /// The same data directory served by a new server, built by the real
    /// composition root (as after a restart): it restores the deployments
    /// recorded in the store.
    func restarted() async throws -> Fixture {
        let services = try await testServices(configuration: self.services.configuration)
        return Fixture(services: services, store: store, models: models, adminKey: adminKey, deployKey: deployKey,
                       predictKey: predictKey, readKey: readKey, directory: directory)
    }

    /// Runs `body` against the router, then removes the temporary directory.
    func test(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = Application(router: buildRouter(services))
        let predictKey = self.predictKey
        try await app.test(.router) { client in
            try await body(Client(raw: client, defaultKey: predictKey))
        }
    }
}

/// A reply: status, headers and the body parsed as JSON.
struct Reply: @unchecked Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    let json: Any?

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var error: String { object["error"] as? String ?? "" }
}

/// Sends requests with the predict key unless told otherwise.
struct Client: Sendable {
    let raw: any TestClientProtocol
    let defaultKey: String

    /// `key: nil` sends the default key; `key: ""` sends none.
    func send(_ method: HTTPRequest.Method, _ uri: String, key: String? = nil, body: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        let key = key ?? defaultKey
        if !key.isEmpty { headers[.authorization] = "Bearer \(key)" }
        let response = try await raw.executeRequest(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let text = String(buffer: response.body)
        let json = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        return Reply(status: response.status, headers: response.headers, text: text, json: json)
    }

    func get(_ uri: String, key: String? = nil) async throws -> Reply { try await send(.get, uri, key: key) }
    func post(_ uri: String, _ body: String, key: String? = nil) async throws -> Reply { try await send(.post, uri, key: key, body: body) }

    /// Checks the server still answers after a refused request.
    func expectAlive(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await get("/v2/health/live", key: "")
        #expect(reply.status == .ok, sourceLocation: sourceLocation)
    }

    /// Sends a request that must be refused with `status` and a JSON error
    /// mentioning `fragment`, then checks the server still answers.
    @discardableResult
    func expectError(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, key: String? = nil, _ status: HTTPResponse.Status,
                     _ fragment: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        let reply = try await send(method, uri, key: key, body: body)
        #expect(reply.status == status, "\(uri): \(reply.text)", sourceLocation: sourceLocation)
        #expect(!reply.error.isEmpty, "no JSON error body: \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        if !fragment.isEmpty {
            #expect(reply.error.contains(fragment), "\(reply.error)", sourceLocation: sourceLocation)
        }
        try await expectAlive(sourceLocation: sourceLocation)
        return reply
    }
}

/// Floats from a JSON list.
func floats(_ value: Any?) -> [Float] {
    (value as? [Any] ?? []).map { Float(($0 as? NSNumber)?.doubleValue ?? .nan) }
}

/// A deterministic test image batch `(n, 28, 28)`.
func pixels(_ n: Int, offset: Int = 0) throws -> Tensor<UInt8> {
    try Tensor(shape: [n, 28, 28], scalars: (0..<(n * 784)).map { UInt8(($0 * 7 + offset) % 256) })
}

/// A JSON list of numbers.
func list<T>(_ values: some Sequence<T>) -> String {
    "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
}

/// A JSON list nested as `(n, 28, 28)`.
func nested(_ t: Tensor<UInt8>) -> String {
    let s = t.scalars
    let n = t.shape[0]
    return "[" + (0..<n).map { i in
        "[" + (0..<28).map { r in list(s[(i * 784 + r * 28)..<(i * 784 + r * 28 + 28)]) }.joined(separator: ",") + "]"
    }.joined(separator: ",") + "]"
}

extension Fixture {
    /// Flips one byte in the middle of a stored version's blob, so it fails
    /// its checksum; returns the blob's file.
    @discardableResult
    func corruptArtifact(version: Int) async throws -> URL {
        let record = try await store.version(model: "mnist", version: version)
        let file = try services.artifacts.path(for: record.artifactSHA256)
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0x55
        try Data(bytes).write(to: file)
        return file
    }
}
