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

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
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
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(
            method: request.method.rawValue, route: route, status: response.status.code,
            model: context.parameters.get("name") ?? context.parameters.get("model"),
            version: context.parameters.get("version"), duration: ContinuousClock.now - start)
        return response
    }
}

func addMetricsRoute(to router: Router<TernRequestContext>, _ services: ServerServices) {
    router.get("/metrics") { _, _ -> Response in
        let bytes = await services.metrics.render(services)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
