import Hummingbird

/// Placeholder, filled in by its own work item.
func addJobRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {}
