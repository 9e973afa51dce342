import Foundation
import Hummingbird
import Metrics
import Prometheus
import TernRegistry
import TernServing

/// The server's Prometheus metrics: requests by route, model, version and
/// status with latency histograms, plus gauges refreshed at each scrape
/// (loaded models, jobs by state, artifact store bytes).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    /// Buckets of `tern_inference_batch_size` (samples per run of a model).
    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// A swift-metrics factory writing into ``registry``, for the runtime's
    /// batchers (TernServing reports through swift-metrics only): the
    /// `tern_inference_batch_size` histogram and `tern_inference_queue_depth`
    /// gauge, with `model` and `version` labels.
    public var batchingFactory: any MetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["tern_inference_batch_size"] = ServerMetrics.batchSizeBuckets
        return factory
    }

    func recordRequest(method: String, route: String, status: Int, model: String?, version: String?, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status)),
                      ("model", model ?? ""), ("version", version ?? "")]
        registry.makeCounter(name: "tern_http_requests_total", labels: labels).increment()
        registry.makeDurationHistogram(
            name: "tern_http_request_duration_seconds",
            labels: [("method", method), ("route", route), ("model", model ?? "")], buckets: ServerMetrics.buckets
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Refreshes the gauges from the services and renders the text format.
    func render(_ services: ServerServices) async -> [UInt8] {
        let loaded = await services.runtime.loaded()
        registry.makeGauge(name: "tern_loaded_models").set(Double(loaded.count))
        registry.makeGauge(name: "tern_loaded_model_bytes").set(Double(loaded.reduce(0) { $0 + $1.memoryBytes }))
        if let jobs = try? await services.store.jobs() {
            for state in JobState.allCases {
                registry.makeGauge(name: "tern_jobs", labels: [("state", state.rawValue)])
                    .set(Double(jobs.filter { $0.state == state }.count))
            }
        }
        registry.makeGauge(name: "tern_artifact_store_bytes").set(Double(services.artifacts.totalBytes()))
        return registry.emitToBuffer()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

/// Records every request (after errors became responses) in ``ServerMetrics``.
///
/// Label values are bounded so that callers cannot grow the registry at
/// will: `route` is the route pattern (`NotFound` when none matched),
/// `method` one of the standard methods or `OTHER`, and `model`/`version`
/// come from the path only when the request succeeded (so they name models
/// that exist); refused requests carry empty model and version labels.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    let metrics: ServerMetrics
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        let succeeded = response.status.code < 400
        let method = MetricsMiddleware.methods.contains(request.method.rawValue) ? request.method.rawValue : "OTHER"
        metrics.recordRequest(
            method: method, route: route, status: response.status.code,
            model: succeeded ? context.parameters.get("name") ?? context.parameters.get("model") : nil,
            version: succeeded ? context.parameters.get("version") : nil, duration: ContinuousClock.now - start)
        return response
    }
}

/// `GET /metrics`: the Prometheus text format, open to anyone who can reach
/// the port, as scrapers expect. It holds counts, latencies, gauges and the
/// names of models that answered successfully: no keys, paths or payloads.
/// (A caller presenting an invalid key is still refused with 401, like on
/// every route.) Keep the server on loopback or behind a firewall when even
/// model names are private.
func addMetricsRoute(to router: Router<TernRequestContext>, _ services: ServerServices) {
    router.get("/metrics") { _, _ -> Response in
        let bytes = await services.metrics.render(services)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
