import Foundation
import TernTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TernFormats
import TernRegistry
import TernServing
@testable import TernServer



/// The one place `ServerServices` is built in these tests: the server's
/// own composition root (``makeServices(_:logger:metrics:)``) on the
/// configuration's data directory, as `tern serve` builds it.
func testServices(configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()) async throws -> ServerServices {
    try await makeServices(configuration, logger: Logger(label: "tern.tests"), metrics: metrics)
}

/// The registry store the tests use: SQLite in the test's data directory.
func makeStore(directory: URL) throws -> any RegistryStore {
    try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite"))
}

/// A fake runtime reporting fixed loaded versions.
struct FakeLoaded: LoadedVersionsSource {
    var versions: [LoadedVersion]
    func loadedVersions() async -> [LoadedVersion] { versions }
}

/// A registry server on a temporary data directory with one key per scope.
struct RegistryHarness: Sendable {
    let directory: URL
    let store: any RegistryStore
    let artifacts: ArtifactStore
    let services: ServerServices
    let admin: String, deploy: String, predict: String, read: String

    /// Runs `body` against the router (`buildRouter`, or the registry routes
    /// with a fake runtime when `loaded` is given), then removes the directory.
    static func run(maxBodyBytes: Int? = nil, loaded: [LoadedVersion]? = nil,
                    _ body: @Sendable (any TestClientProtocol, RegistryHarness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        if let maxBodyBytes { configuration.maxBodyBytes = maxBodyBytes }
        let store = try makeStore(directory: directory)
        let artifacts = try ArtifactStore(root: directory.appendingPathComponent("artifacts"))
        var texts: [KeyScope: String] = [:]
        for scope in KeyScope.allCases {
            let (text, record) = APIKeys.generate(name: "test-\(scope.rawValue)", scope: scope)
            try await store.createKey(record)
            texts[scope] = text
        }
        let harness = RegistryHarness(directory: directory, store: store, artifacts: artifacts,
                                      services: try await testServices(configuration: configuration),
                                      admin: texts[.admin] ?? "", deploy: texts[.deploy] ?? "",
                                      predict: texts[.predict] ?? "", read: texts[.read] ?? "")
        let router: Router<TernRequestContext>
        if let loaded {
            router = Router(context: TernRequestContext.self)
            router.add(middleware: ErrorMiddleware())
            router.add(middleware: AuthMiddleware(store: store))
            addRegistryRoutes(to: router, harness.services, loaded: FakeLoaded(versions: loaded))
        } else {
            router = buildRouter(harness.services)
        }
        try await Application(router: router).test(.router) { client in try await body(client, harness) }
    }

    /// The blob files in the artifact directory.
    func blobs() -> Set<String> {
        var names = Set<String>()
        for dir in (try? FileManager.default.contentsOfDirectory(atPath: artifacts.root.path)) ?? [] where dir.count == 2 {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: artifacts.root.appendingPathComponent(dir).path)) ?? [] {
                names.insert(name)
            }
        }
        return names
    }

    /// Everything the store and artifact directory hold, for "nothing changed" checks.
    func snapshot() async throws -> RegistrySnapshot {
        var versions: [VersionRecord] = [], aliases: [AliasRecord] = [], history: [AliasEvent] = []
        let models = try await store.models()
        for m in models {
            versions += try await store.versions(model: m.name)
            aliases += try await store.aliases(model: m.name)
            history += try await store.aliasHistory(model: m.name)
        }
        return RegistrySnapshot(models: models, versions: versions, aliases: aliases, history: history,
                                datasets: try await store.datasets(), keys: try await store.keys(), blobs: blobs())
    }
}

struct RegistrySnapshot: Equatable {
    var models: [ModelRecord]
    var versions: [VersionRecord]
    var aliases: [AliasRecord]
    var history: [AliasEvent]
    var datasets: [DatasetRecord]
    var keys: [KeyRecord]
    var blobs: Set<String>
}

/// A request with an optional key, body and content type.
func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String?,
          json: String? = nil, body: [UInt8]? = nil, contentType: String? = nil) async throws -> TestResponse {
    var headers: HTTPFields = [:]
    if let key { headers[.authorization] = "Bearer \(key)" }
    var bytes = body
    if let json {
        bytes = Array(json.utf8)
        headers[.contentType] = "application/json"
    }
    if let contentType { headers[.contentType] = contentType }
    return try await client.execute(uri: uri, method: method, headers: headers, body: bytes.map { ByteBuffer(bytes: $0) })
}

extension TestResponse {
    /// The body parsed as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }
    /// The `error` message of an error response.
    var error: String { json["error"] as? String ?? "" }
    var bytes: [UInt8] { Array(body.readableBytesView) }
}

/// A `multipart/form-data` body with the given parts and its content type.
func multipart(_ parts: [(name: String, bytes: [UInt8])], boundary: String = "tern-test-boundary-7f3a") -> (body: [UInt8], contentType: String) {
    var body: [UInt8] = []
    for part in parts {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"; filename=\"\(part.name).bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += part.bytes
        body += Array("\r\n".utf8)
    }
    body += Array("--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

/// Model artifacts built in-process from `Examples/mnist-mlp.json`.
enum Fixtures {
    static func spec() throws -> ModelSpec {
        try JSONDecoder().decode(ModelSpec.self, from: Data(contentsOf: packageRoot.appendingPathComponent("Examples/mnist-mlp.json")))
    }

    /// A fresh model's artifact (seed varies the weights, hence the checksum).
    static func artifact(seed: UInt64 = 1, trained: Bool = false) throws -> [UInt8] {
        var model = try TernModel(spec: spec(), seed: seed)
        if trained {
            model.training = TrainingRecord(
                history: [], dataset: DatasetDescription(name: "mnist", trainRows: "0:50000", validationRows: "50000:60000",
                                                         trainSamples: 50000, validationSamples: 10000, sha256: String(repeating: "ab", count: 32)),
                seed: 42, epochs: 5, batchSize: 32, finalMetrics: ["accuracy": 0.97, "loss": 0.1],
                trainedAt: "2025-01-01T00:00:00Z", seconds: 12)
        }
        return try model.artifactBytes()
    }

    static func mnistFile(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: mnistDirectory.appendingPathComponent(name)))
    }
}
