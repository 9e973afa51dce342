import Foundation
import HTTPTypes
import TernRegistry

/// One route of the server as the audit knows it: the pattern Hummingbird
/// registers, a concrete path that reaches it, the scope it needs (nil for
/// the open routes) and a body it would accept, so that a refusal of the
/// request can only be about its key.
struct AuditRoute: Sendable, CustomStringConvertible {
    let method: HTTPRequest.Method
    let pattern: String
    let example: String
    let scope: KeyScope?
    var body: String?
    var contentType: String?

    var description: String { "\(method) \(pattern)" }
}

/// Every route `buildRouter` registers (checked against the router itself
/// in `everyRouteIsAudited`).
enum AuditRoutes {
    static let deployment = #"{"model": "mnist", "version": 3}"#
    static let infer = v2Body(shape: [1, 784], data: list(Array(repeating: 1, count: 784)))
    static let predict = "{\"instances\": [\(list(Array(repeating: 1, count: 784)))]}"
    static let job = #"{"model": "m", "spec": {}, "dataset": "digits", "train": "0:50"}"#

    static let all: [AuditRoute] = open + inference + management

    /// Routes that need no key.
    static let open: [AuditRoute] = [
        AuditRoute(method: .get, pattern: "/v2/health/live", example: "/v2/health/live", scope: nil),
        AuditRoute(method: .get, pattern: "/v2/health/ready", example: "/v2/health/ready", scope: nil),
        AuditRoute(method: .get, pattern: "/metrics", example: "/metrics", scope: nil),
        AuditRoute(method: .get, pattern: "/openapi.json", example: "/openapi.json", scope: nil),
    ]

    /// KServe V2 and TF Serving routes (scope `predict`).
    static let inference: [AuditRoute] = [
        AuditRoute(method: .get, pattern: "/v2", example: "/v2", scope: .predict),
        AuditRoute(method: .get, pattern: "/v2/models/{model}", example: "/v2/models/mnist", scope: .predict),
        AuditRoute(method: .get, pattern: "/v2/models/{model}/versions/{version}", example: "/v2/models/mnist/versions/1", scope: .predict),
        AuditRoute(method: .get, pattern: "/v2/models/{model}/ready", example: "/v2/models/mnist/ready", scope: .predict),
        AuditRoute(method: .get, pattern: "/v2/models/{model}/versions/{version}/ready", example: "/v2/models/mnist/versions/1/ready", scope: .predict),
        AuditRoute(method: .post, pattern: "/v2/models/{model}/infer", example: "/v2/models/mnist/infer", scope: .predict, body: infer),
        AuditRoute(method: .post, pattern: "/v2/models/{model}/versions/{version}/infer", example: "/v2/models/mnist/versions/1/infer",
                   scope: .predict, body: infer),
        AuditRoute(method: .get, pattern: "/v1/models/{model}", example: "/v1/models/mnist", scope: .predict),
        AuditRoute(method: .get, pattern: "/v1/models/{model}/versions/{version}", example: "/v1/models/mnist/versions/1", scope: .predict),
        AuditRoute(method: .get, pattern: "/v1/models/{model}/labels/{label}", example: "/v1/models/mnist/labels/production", scope: .predict),
        AuditRoute(method: .get, pattern: "/v1/models/{model}/metadata", example: "/v1/models/mnist/metadata", scope: .predict),
        AuditRoute(method: .get, pattern: "/v1/models/{model}/versions/{version}/metadata", example: "/v1/models/mnist/versions/1/metadata", scope: .predict),
        AuditRoute(method: .get, pattern: "/v1/models/{model}/labels/{label}/metadata", example: "/v1/models/mnist/labels/production/metadata",
                   scope: .predict),
        AuditRoute(method: .post, pattern: "/v1/models/{model}", example: "/v1/models/mnist:predict", scope: .predict, body: predict),
        AuditRoute(method: .post, pattern: "/v1/models/{model}/versions/{version}", example: "/v1/models/mnist/versions/1:predict",
                   scope: .predict, body: predict),
        AuditRoute(method: .post, pattern: "/v1/models/{model}/labels/{label}", example: "/v1/models/mnist/labels/production:predict",
                   scope: .predict, body: predict),
    ]

    /// The `/api/v1` routes.
    static let management: [AuditRoute] = [
        AuditRoute(method: .post, pattern: "/api/v1/deployments", example: "/api/v1/deployments", scope: .deploy, body: deployment),
        AuditRoute(method: .get, pattern: "/api/v1/deployments", example: "/api/v1/deployments", scope: .read),
        AuditRoute(method: .delete, pattern: "/api/v1/deployments/{model}/{version}", example: "/api/v1/deployments/mnist/1", scope: .deploy),

        AuditRoute(method: .post, pattern: "/api/v1/models", example: "/api/v1/models", scope: .deploy, body: #"{"name": "fresh"}"#),
        AuditRoute(method: .get, pattern: "/api/v1/models", example: "/api/v1/models", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/models/{name}", example: "/api/v1/models/mnist", scope: .read),
        AuditRoute(method: .patch, pattern: "/api/v1/models/{name}", example: "/api/v1/models/mnist", scope: .deploy,
                   body: #"{"description": "changed"}"#),
        AuditRoute(method: .delete, pattern: "/api/v1/models/{name}", example: "/api/v1/models/mnist?force=true", scope: .deploy),
        AuditRoute(method: .post, pattern: "/api/v1/models/{name}/versions", example: "/api/v1/models/mnist/versions", scope: .deploy,
                   body: "artifact bytes", contentType: "application/octet-stream"),
        AuditRoute(method: .get, pattern: "/api/v1/models/{name}/versions", example: "/api/v1/models/mnist/versions", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/models/{name}/versions/{version}", example: "/api/v1/models/mnist/versions/1", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/models/{name}/versions/{version}/artifact", example: "/api/v1/models/mnist/versions/1/artifact",
                   scope: .read),
        AuditRoute(method: .delete, pattern: "/api/v1/models/{name}/versions/{version}", example: "/api/v1/models/mnist/versions/3", scope: .deploy),
        AuditRoute(method: .put, pattern: "/api/v1/models/{name}/aliases/{alias}", example: "/api/v1/models/mnist/aliases/production",
                   scope: .deploy, body: #"{"version": 3}"#),
        AuditRoute(method: .get, pattern: "/api/v1/models/{name}/aliases", example: "/api/v1/models/mnist/aliases", scope: .read),
        AuditRoute(method: .delete, pattern: "/api/v1/models/{name}/aliases/{alias}", example: "/api/v1/models/mnist/aliases/staging", scope: .deploy),

        AuditRoute(method: .post, pattern: "/api/v1/datasets", example: "/api/v1/datasets?name=table&kind=csv", scope: .deploy,
                   body: "a,b\n1,2\n", contentType: "text/csv"),
        AuditRoute(method: .get, pattern: "/api/v1/datasets", example: "/api/v1/datasets", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/datasets/{name}", example: "/api/v1/datasets/digits", scope: .read),
        AuditRoute(method: .delete, pattern: "/api/v1/datasets/{name}/versions/{version}", example: "/api/v1/datasets/digits/versions/1",
                   scope: .deploy),

        AuditRoute(method: .post, pattern: "/api/v1/keys", example: "/api/v1/keys", scope: .admin, body: #"{"name": "k", "scope": "read"}"#),
        AuditRoute(method: .get, pattern: "/api/v1/keys", example: "/api/v1/keys", scope: .admin),
        AuditRoute(method: .delete, pattern: "/api/v1/keys/{id}", example: "/api/v1/keys/0123456789ab", scope: .admin),

        AuditRoute(method: .post, pattern: "/api/v1/jobs", example: "/api/v1/jobs", scope: .deploy, body: job),
        AuditRoute(method: .get, pattern: "/api/v1/jobs", example: "/api/v1/jobs", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/jobs/{id}", example: "/api/v1/jobs/job-0000000000000000", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/jobs/{id}/events", example: "/api/v1/jobs/job-0000000000000000/events", scope: .read),
        AuditRoute(method: .post, pattern: "/api/v1/jobs/{id}/cancel", example: "/api/v1/jobs/job-0000000000000000/cancel", scope: .deploy),
        AuditRoute(method: .get, pattern: "/api/v1/runs/{id}", example: "/api/v1/runs/run-0000000000000000", scope: .read),
        AuditRoute(method: .get, pattern: "/api/v1/datasets/{name}/profile", example: "/api/v1/datasets/digits/profile", scope: .read),
    ]

    /// The widest key that is still too narrow for `scope` (nil for `read`,
    /// which every key includes).
    static func tooNarrow(for scope: KeyScope) -> AuditKey? {
        switch scope {
        case .read: return nil
        case .predict: return .read
        case .deploy: return .predict
        case .admin: return .deploy
        }
    }
}
