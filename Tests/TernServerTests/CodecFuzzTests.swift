import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TernTesting

/// Mutated valid requests through the router: the JSON reader, the V2 JSON
/// and binary codecs, TF Serving's `:predict` and registry bodies. Every
/// case is answered (a 4xx for what it cannot take), never a 5xx or a
/// crash. `TERN_FUZZ_CASES` raises the count for a long run.
@Suite struct CodecFuzzTests {
    struct Target: Sendable {
        var name: String
        var method: HTTPRequest.Method
        var path: String
        var contentType: String
        var body: [UInt8]
        /// For a binary request, the JSON part's length (mutated too).
        var jsonLength: Int?
        var admin = false
    }

    static func targets() throws -> [Target] {
        let image = try pixels(1)
        let json = v2Body(shape: [1, 784], data: list(image.scalars))
        let binaryJSON = #"{"inputs":[{"name":"input","shape":[1,784],"datatype":"UINT8","parameters":{"binary_data_size":784}}],"outputs":[{"name":"output","parameters":{"binary_data":true}}]}"#
        return [
            Target(name: "v2 json", method: .post, path: "/v2/models/mnist/infer", contentType: "application/json", body: Array(json.utf8)),
            Target(name: "v2 binary", method: .post, path: "/v2/models/mnist/infer", contentType: "application/octet-stream",
                   body: Array(binaryJSON.utf8) + image.scalars, jsonLength: binaryJSON.utf8.count),
            Target(name: "tf instances", method: .post, path: "/v1/models/mnist:predict", contentType: "application/json",
                   body: Array(#"{"signature_name":"serving_default","instances":\#(nested(image))}"#.utf8)),
            Target(name: "registry", method: .post, path: "/api/v1/models", contentType: "application/json",
                   body: Array(#"{"name":"fuzzed","description":"a \"quoted\" \u00e9 text","tags":{"team":"ml","n":"1"}}"#.utf8), admin: true),
            Target(name: "deployments", method: .post, path: "/api/v1/deployments", contentType: "application/json",
                   body: Array(#"{"model":"mnist","version":3,"batching":{"max_batch_size":8,"max_queue_delay_microseconds":2000}}"#.utf8), admin: true),
        ]
    }

    @Test func mutatedRequestsNeverFailTheServer() async throws {
        let fixture = try await Fixture.make()
        let targets = try Self.targets()
        let cases = max(1, Mutator.cases(standard: 5000) / 5)
        let (admin, predict) = (fixture.adminKey, fixture.predictKey)
        try await fixture.test { client in
            for (t, target) in targets.enumerated() {
                var mutator = Mutator(seed: 31 + UInt64(t))
                var statuses: [Int: Int] = [:]
                // The unmutated request is accepted, so the cases start from something valid.
                var validHeaders: HTTPFields = [.contentType: target.contentType, .authorization: "Bearer \(target.admin ? admin : predict)"]
                if let length = target.jsonLength { validHeaders[HTTPField.Name("Inference-Header-Content-Length")!] = String(length) }
                let valid = try await client.raw.executeRequest(uri: target.path, method: target.method, headers: validHeaders,
                                                                 body: ByteBuffer(bytes: target.body))
                #expect(valid.status.code < 300, "\(target.name): \(valid.status.code) \(String(buffer: valid.body).prefix(300))")
                for i in 0..<cases {
                    let body = mutator.mutate(target.body)
                    var headers: HTTPFields = [.contentType: target.contentType,
                                               .authorization: "Bearer \(target.admin ? admin : predict)"]
                    if let length = target.jsonLength {
                        // Mostly the true length, sometimes a wrong one.
                        let declared = i % 8 == 0 ? Int.random(in: 0...body.count + 8) : min(length, body.count)
                        headers[HTTPField.Name("Inference-Header-Content-Length")!] = String(declared)
                    }
                    let response = try await client.raw.executeRequest(uri: target.path, method: target.method, headers: headers,
                                                                        body: ByteBuffer(bytes: body))
                    statuses[response.status.code, default: 0] += 1
                    if response.status.code >= 500 {
                        Issue.record("\(target.name) case \(i): \(response.status.code) \(String(buffer: response.body).prefix(300)) for body \(String(decoding: body.prefix(400), as: UTF8.self))")
                    }
                }
                print("fuzz \(target.name): \(cases) cases, statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))")
            }
            try await client.expectAlive()
        }
    }
}
