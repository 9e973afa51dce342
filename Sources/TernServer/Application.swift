import Foundation
import Hummingbird
import Logging
import TernRegistry
import TernServing

/// The router with every route group: the one composition root used by
/// `tern serve` and the tests alike.
public func buildRouter(_ services: ServerServices) -> Router<TernRequestContext> {
    let router = Router(context: TernRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: AuthMiddleware(store: services.store))
    addInferenceRoutes(to: router, services)
    addDeploymentRoutes(to: router, services)
    addRegistryRoutes(to: router, services)
    addJobRoutes(to: router, services)
    addRunRoutes(to: router, services)
    addMetricsRoute(to: router, services)
    addOpenAPIRoute(to: router)
    return router
}
