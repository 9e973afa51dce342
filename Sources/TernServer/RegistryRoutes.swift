import Hummingbird

/// Placeholder, filled in by its own work item.
func addRegistryRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {}
