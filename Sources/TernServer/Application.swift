import Foundation
import Hummingbird
import Logging
import TernRegistry
import TernServing

/// The router with every route group: the one composition root used by
/// `tern serve` and the tests alike.
///
/// Middleware, outermost first: request id (logger metadata and the
/// `X-Request-ID` header), metrics, errors as JSON, authentication. They
/// also wrap Hummingbird's "no route" answer, so an unknown path or a wrong
/// method is a JSON 404 that is counted and carries a request id.
public func buildRouter(_ services: ServerServices) -> Router<TernRequestContext> {
    let router = Router(context: TernRequestContext.self)
    let routes = RouteTable()
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: ErrorMiddleware(routes: routes))
    router.add(middleware: DeclaredLengthMiddleware(limit: services.configuration.maxBodyBytes))
    router.add(middleware: AuthMiddleware(store: services.store))
    router.add(middleware: InFlightLimitMiddleware(counter: services.inFlight))
    addInferenceRoutes(to: router, services)
    addDeploymentRoutes(to: router, services)
    addRegistryRoutes(to: router, services)
    addJobRoutes(to: router, services)
    addRunRoutes(to: router, services)
    addMetricsRoute(to: router, services)
    addOpenAPIRoute(to: router)
    routes.record(router)
    return router
}
