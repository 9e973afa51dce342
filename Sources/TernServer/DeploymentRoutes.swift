import Hummingbird

/// Placeholder, filled in by its own work item.
func addDeploymentRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {}
