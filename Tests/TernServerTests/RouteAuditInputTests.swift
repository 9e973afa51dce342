import Foundation
import HTTPTypes
import Testing
import TernTesting
@testable import TernServer

/// The route audit's bad inputs, route group by route group: malformed
/// JSON, wrong types, shapes not matching their data, unknown models,
/// versions and aliases, oversized bodies, wrong content types and
/// path-like names. Each is refused with the right 4xx and a JSON error,
/// changes nothing and leaves the server serving
/// (``Fixture/expectRefused(_:_:sourceLocation:)``).
@Suite struct RouteAuditInputTests {
    static let tooBig = oversizedJSON(20 << 10)

    @Test func deployments() async throws {
        let d = "/api/v1/deployments"
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": 3"#, key: .deploy, .badRequest, "malformed JSON"),
            RefusedRequest(.post, d, body: "", key: .deploy, .badRequest),
            RefusedRequest(.post, d, body: "[]", key: .deploy, .badRequest, "must be a JSON object"),
            RefusedRequest(.post, d, body: "42", key: .deploy, .badRequest, "must be a JSON object"),
            RefusedRequest(.post, d, body: #"{"model": 5, "version": 3}"#, key: .deploy, .badRequest, "'model' must be a string"),
            RefusedRequest(.post, d, body: #"{"version": 3}"#, key: .deploy, .badRequest, "'model' must be a string"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "alias": 3}"#, key: .deploy, .badRequest, "'alias' must be a string"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": 1.5}"#, key: .deploy, .badRequest, "positive integer"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": -3}"#, key: .deploy, .badRequest, "positive integer"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": 99999999999}"#, key: .deploy, .badRequest, "positive integer"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": null}"#, key: .deploy, .badRequest, "positive integer"),
            RefusedRequest(.post, d, body: #"{"model": "nope", "version": 1}"#, key: .deploy, .notFound, "not found"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": 7}"#, key: .deploy, .notFound, "version 7"),
            RefusedRequest(.post, d, body: #"{"model": "nope", "alias": "production"}"#, key: .deploy, .notFound, "no alias 'production'"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "alias": "canary"}"#, key: .deploy, .notFound, "no alias 'canary'"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "alias": "../x"}"#, key: .deploy, .badRequest, "names are"),
            RefusedRequest(.post, d, body: #"{"model": "%2e%2e", "version": 1}"#, key: .deploy, .badRequest, "names are"),
            RefusedRequest(.post, d, body: #"{"model": "mnist", "version": 3}"#, contentType: "text/plain", key: .deploy,
                           .unsupportedMediaType, "application/json"),
            RefusedRequest(.post, d, body: String(repeating: " ", count: 70_000) + "{}", key: .deploy, .contentTooLarge, "larger than"),
            RefusedRequest(.delete, "\(d)/mnist/3", key: .deploy, .notFound, "not loaded"),
            RefusedRequest(.delete, "\(d)/nope/1", key: .deploy, .notFound, "not loaded"),
            RefusedRequest(.delete, "\(d)/mnist/production", key: .deploy, .badRequest, "must be a number"),
            RefusedRequest(.delete, "\(d)/mnist/99999999999", key: .deploy, .badRequest, "out of range"),
            RefusedRequest(.delete, "\(d)/mnist/%2e%2e", key: .deploy, .badRequest, "names are"),
            RefusedRequest(.delete, "\(d)/..%2f..%2fetc/1", key: .deploy, .badRequest, "names are"),
        ])
    }

    /// A job submission with the example spec: valid but for what is changed.
    func job(dataset: String = "digits", train: String = "0:50") throws -> String {
        let spec = try String(contentsOf: packageRoot.appendingPathComponent("Examples/mnist-mlp.json"), encoding: .utf8)
        return #"{"model": "m", "spec": \#(spec), "dataset": "\#(dataset)", "train": "\#(train)"}"#
    }

    @Test func jobs() async throws {
        let j = "/api/v1/jobs"
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.post, j, body: #"{"model": "m", "#, key: .deploy, .badRequest, "invalid JSON body"),
            RefusedRequest(.post, j, body: "", key: .deploy, .badRequest),
            RefusedRequest(.post, j, body: "[1]", key: .deploy, .badRequest),
            RefusedRequest(.post, j, body: #"{"model": 5, "spec": {}, "dataset": "digits", "train": "0:50"}"#, key: .deploy, .badRequest, "model"),
            RefusedRequest(.post, j, body: #"{"model": "m", "spec": {}, "dataset": "digits", "train": 50}"#, key: .deploy, .badRequest, "train"),
            RefusedRequest(.post, j, body: #"{"model": "m", "spec": 3, "dataset": "digits", "train": "0:50"}"#, key: .deploy, .badRequest, "spec"),
            RefusedRequest(.post, j, body: #"{"model": "m", "spec": {}, "dataset": "digits", "dataset_version": "1", "train": "0:50"}"#,
                           key: .deploy, .badRequest, "dataset_version"),
            RefusedRequest(.post, j, body: #"{"model": "../m", "spec": {}, "dataset": "digits", "train": "0:50"}"#, key: .deploy, .badRequest, "model"),
            RefusedRequest(.post, j, body: #"{"model": "m", "spec": {}, "dataset": "digits", "train": "0:50"}"#, key: .deploy, .badRequest, "spec"),
            RefusedRequest(.post, j, body: job(dataset: "../digits"), key: .deploy, .badRequest, "dataset"),
            RefusedRequest(.post, j, body: job(dataset: "nope"), key: .deploy, .notFound, "dataset 'nope'"),
            RefusedRequest(.post, j, body: job(train: "0:500"), key: .deploy, .badRequest, "train"),
            RefusedRequest(.post, j, body: AuditRoutes.job, contentType: "text/plain", key: .deploy, .unsupportedMediaType, "application/json"),
            RefusedRequest(.post, j, body: Self.tooBig, key: .deploy, .contentTooLarge, "larger than"),
            RefusedRequest(.get, "\(j)/job-0000000000000000", key: .read, .notFound, "not found"),
            RefusedRequest(.get, "\(j)/job-0000000000000000/events", key: .read, .notFound, "not found"),
            RefusedRequest(.post, "\(j)/job-0000000000000000/cancel", key: .deploy, .notFound, "not found"),
            RefusedRequest(.get, "\(j)/..", key: .read, .badRequest, "invalid job id"),
            RefusedRequest(.get, "\(j)/%2e%2e", key: .read, .badRequest, "invalid job id"),
            RefusedRequest(.get, "\(j)/..%2f..%2fetc%2fpasswd/events", key: .read, .badRequest, "invalid job id"),
            RefusedRequest(.post, "\(j)/%2e%2e/cancel", key: .deploy, .badRequest, "invalid job id"),
            RefusedRequest(.get, "\(j)/" + String(repeating: "a", count: 300), key: .read, .badRequest, "invalid job id"),
        ])
    }

    @Test func models() async throws {
        let m = "/api/v1/models"
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.post, m, body: #"{"name": "x""#, key: .deploy, .badRequest, "not valid JSON"),
            RefusedRequest(.post, m, body: #"{"name": 5}"#, key: .deploy, .badRequest, "'name' should be a string"),
            RefusedRequest(.post, m, body: #"{"name": "mnist"}"#, key: .deploy, .conflict, "already exists"),
            RefusedRequest(.post, m, body: #"{"name": "%2e%2e"}"#, key: .deploy, .badRequest, "invalid name"),
            RefusedRequest(.post, m, body: Self.tooBig, key: .deploy, .contentTooLarge, "larger than"),
            RefusedRequest(.post, m, body: #"{"name": "x"}"#, contentType: "text/plain", key: .deploy, .unsupportedMediaType),
            RefusedRequest(.patch, "\(m)/mnist", body: #"{"description": "#, key: .deploy, .badRequest, "not valid JSON"),
            RefusedRequest(.patch, "\(m)/mnist", body: "", key: .deploy, .badRequest, "must be a JSON object"),
            RefusedRequest(.patch, "\(m)/mnist", body: #"{"tags": {"a": 1}}"#, key: .deploy, .badRequest, "'tags.a' should be a string"),
            RefusedRequest(.patch, "\(m)/mnist", body: #"{"description": ["x"]}"#, key: .deploy, .badRequest, "'description' should be a string"),
            RefusedRequest(.patch, "\(m)/mnist", body: Self.tooBig, key: .deploy, .contentTooLarge, "larger than"),
            RefusedRequest(.patch, "\(m)/mnist", body: #"{"description": "x"}"#, contentType: "text/plain", key: .deploy, .unsupportedMediaType),
            RefusedRequest(.patch, "\(m)/nope", body: #"{"description": "x"}"#, key: .deploy, .notFound, "not found"),
            RefusedRequest(.patch, "\(m)/%2e%2e", body: #"{"description": "x"}"#, key: .deploy, .badRequest, "invalid name"),
            RefusedRequest(.delete, "\(m)/mnist", key: .deploy, .conflict, "force=true"),
            RefusedRequest(.delete, "\(m)/nope", key: .deploy, .notFound, "not found"),
            RefusedRequest(.delete, "\(m)/..%2f..%2fetc", key: .deploy, .badRequest, "invalid name"),
        ])
    }

    @Test func versionsAndArtifacts() async throws {
        let v = "/api/v1/models/mnist/versions"
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.post, v, body: "not a model", contentType: "application/octet-stream", key: .deploy, .badRequest, "invalid model artifact"),
            RefusedRequest(.post, v, body: "{}", key: .deploy, .unsupportedMediaType, "application/octet-stream"),
            // A first upload would create the model, but only a valid artifact.
            RefusedRequest(.post, "/api/v1/models/nope/versions", body: "x", contentType: "application/octet-stream", key: .deploy, .badRequest, "invalid model artifact"),
            RefusedRequest(.post, "/api/v1/models/%2e%2e/versions", body: "x", contentType: "application/octet-stream", key: .deploy, .badRequest),
            RefusedRequest(.get, "\(v)/7", key: .read, .notFound, "not found"),
            RefusedRequest(.get, "\(v)/canary", key: .read, .notFound, "not found"),
            RefusedRequest(.get, "\(v)/0", key: .read, .badRequest, "positive integer"),
            RefusedRequest(.get, "\(v)/%2e%2e", key: .read, .badRequest, "invalid name"),
            RefusedRequest(.get, "\(v)/7/artifact", key: .read, .notFound, "not found"),
            RefusedRequest(.get, "\(v)/..%2f..%2fregistry.sqlite/artifact", key: .read, .badRequest, "invalid name"),
            RefusedRequest(.get, "/api/v1/models/nope/versions/1/artifact", key: .read, .notFound, "not found"),
            RefusedRequest(.delete, "\(v)/7", key: .deploy, .notFound, "not found"),
            RefusedRequest(.delete, "\(v)/1", key: .deploy, .conflict, "loaded"),
            RefusedRequest(.delete, "\(v)/%2e%2e", key: .deploy, .badRequest, "invalid name"),
        ])
    }

    @Test func aliases() async throws {
        let a = "/api/v1/models/mnist/aliases"
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.put, "\(a)/canary", body: #"{"version": "#, key: .deploy, .badRequest, "not valid JSON"),
            RefusedRequest(.put, "\(a)/canary", body: #"{"version": "3"}"#, key: .deploy, .badRequest, "'version' should be an integer"),
            RefusedRequest(.put, "\(a)/canary", body: #"{"version": 7}"#, key: .deploy, .notFound, "not found"),
            RefusedRequest(.put, "\(a)/canary", body: Self.tooBig, key: .deploy, .contentTooLarge, "larger than"),
            RefusedRequest(.put, "\(a)/canary", body: #"{"version": 3}"#, contentType: "text/plain", key: .deploy, .unsupportedMediaType),
            RefusedRequest(.put, "\(a)/..%2fx", body: #"{"version": 3}"#, key: .deploy, .badRequest, "invalid name"),
            RefusedRequest(.put, "/api/v1/models/nope/aliases/canary", body: #"{"version": 1}"#, key: .deploy, .notFound),
            RefusedRequest(.get, "/api/v1/models/nope/aliases", key: .read, .notFound),
            RefusedRequest(.delete, "\(a)/canary", key: .deploy, .notFound, "not found"),
            RefusedRequest(.delete, "\(a)/%2e%2e", key: .deploy, .badRequest, "invalid name"),
        ])
    }

    @Test func datasetsAndKeys() async throws {
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.post, "/api/v1/datasets?name=..%2fx&kind=csv", body: "a\n1\n", contentType: "text/csv", key: .deploy,
                           .badRequest, "invalid name"),
            RefusedRequest(.post, "/api/v1/datasets?name=t&kind=csv", body: "", contentType: "text/csv", key: .deploy, .badRequest, "empty"),
            RefusedRequest(.post, "/api/v1/datasets?name=t&kind=idx", body: "x", contentType: "application/octet-stream", key: .deploy,
                           .unsupportedMediaType),
            RefusedRequest(.get, "/api/v1/datasets/nope", key: .read, .notFound, "not found"),
            RefusedRequest(.get, "/api/v1/datasets/%2e%2e", key: .read, .badRequest, "invalid name"),
            RefusedRequest(.get, "/api/v1/datasets/digits?version=2", key: .read, .notFound, "not found"),
            RefusedRequest(.delete, "/api/v1/datasets/digits/versions/x", key: .deploy, .badRequest, "positive integer"),
            RefusedRequest(.delete, "/api/v1/datasets/digits/versions/9", key: .deploy, .notFound),
            RefusedRequest(.post, "/api/v1/keys", body: #"{"name": "k", "scope": "#, key: .admin, .badRequest, "not valid JSON"),
            RefusedRequest(.post, "/api/v1/keys", body: #"{"name": "k", "scope": 1}"#, key: .admin, .badRequest, "'scope'"),
            RefusedRequest(.post, "/api/v1/keys", body: Self.tooBig, key: .admin, .contentTooLarge, "larger than"),
            RefusedRequest(.post, "/api/v1/keys", body: #"{"name": "k", "scope": "read"}"#, contentType: "text/plain", key: .admin,
                           .unsupportedMediaType),
            RefusedRequest(.delete, "/api/v1/keys/0123456789ab", key: .admin, .notFound, "not found"),
            RefusedRequest(.delete, "/api/v1/keys/..%2f..", key: .admin, .badRequest, "12 lowercase hexadecimal"),
        ])
    }

    @Test func inference() async throws {
        let good = list(Array(repeating: 1, count: 784))
        try await Fixture.audit().expectAllRefused([
            RefusedRequest(.post, "/v2/models/mnist/infer", body: "{\"inputs\": [", key: .predict, .badRequest, "malformed JSON"),
            RefusedRequest(.post, "/v2/models/mnist/infer", body: v2Body(shape: [1, 784], datatype: "STRING", data: good), key: .predict,
                           .badRequest, "unknown datatype"),
            RefusedRequest(.post, "/v2/models/mnist/infer", body: v2Body(shape: [2, 784], data: good), key: .predict, .badRequest, "elements"),
            RefusedRequest(.post, "/v2/models/mnist/infer", body: Self.tooBig, key: .predict, .contentTooLarge, "larger than"),
            RefusedRequest(.post, "/v2/models/nope/infer", body: AuditRoutes.infer, key: .predict, .notFound, "not loaded"),
            RefusedRequest(.post, "/v2/models/mnist/versions/canary/infer", body: AuditRoutes.infer, key: .predict, .notFound, "no alias"),
            RefusedRequest(.get, "/v2/models/nope/ready", key: .predict, .notFound),
            RefusedRequest(.get, "/v2/models/mnist/versions/3/ready", key: .predict, .notFound, "not loaded"),
            RefusedRequest(.get, "/v2/models/%2e%2e/ready", key: .predict, .badRequest, "names are"),
            RefusedRequest(.get, "/v2/models/mnist/versions/..%2f/ready", key: .predict, .badRequest, "names are"),
            RefusedRequest(.post, "/v1/models/mnist:predict", body: "{\"instances\": [", key: .predict, .badRequest, "malformed JSON"),
            RefusedRequest(.post, "/v1/models/mnist:predict", body: "{\"instances\": [[\"a\"]]}", key: .predict, .badRequest, "must hold numbers"),
            RefusedRequest(.post, "/v1/models/mnist:predict", body: "{\"inputs\": [[1, 2]]}", key: .predict, .badRequest, "got [1, 2]"),
            RefusedRequest(.post, "/v1/models/mnist:predict", body: Self.tooBig, key: .predict, .contentTooLarge, "larger than"),
            RefusedRequest(.post, "/v1/models/mnist/versions/x:predict", body: AuditRoutes.predict, key: .predict, .badRequest, "must be a number"),
            RefusedRequest(.post, "/v1/models/mnist/labels/canary:predict", body: AuditRoutes.predict, key: .predict, .notFound, "no alias"),
            RefusedRequest(.get, "/v1/models/nope", key: .predict, .notFound, "not loaded"),
            RefusedRequest(.get, "/v1/models/mnist/versions/9/metadata", key: .predict, .notFound, "not loaded"),
            RefusedRequest(.get, "/v1/models/mnist/labels/canary", key: .predict, .notFound, "no alias"),
            RefusedRequest(.get, "/v1/models/mnist/labels/1", key: .predict, .badRequest, "must not be a number"),
            RefusedRequest(.get, "/v1/models/%2e%2e/metadata", key: .predict, .badRequest, "names are"),
            RefusedRequest(.get, "/v1/models/mnist/labels/%2e%2e/metadata", key: .predict, .badRequest, "names are"),
        ])
    }
}
