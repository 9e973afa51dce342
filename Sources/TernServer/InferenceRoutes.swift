import Hummingbird

/// Placeholder, filled in by its own work item.
func addInferenceRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {}
