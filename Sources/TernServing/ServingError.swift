/// Why the serving layer refused: domain errors, which the HTTP layer maps
/// to statuses in one place (not found 404, conflict 409, unavailable 503,
/// invalid 400).
public enum ServingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The model, alias or version is unknown, or the version is not loaded.
    case notFound(String)
    /// The stored artifact is missing, corrupt or cannot be loaded; an alias
    /// swap could not load its new version.
    case conflict(String)
    /// A deployed version could not be loaded again; retry later.
    case unavailable(String)
    /// The request names something invalid (a version out of range).
    case invalid(String)
    /// The version is loaded but not accepting predictions yet.
    case notReady(String)

    public var description: String {
        switch self {
        case let .notFound(m), let .conflict(m), let .unavailable(m), let .invalid(m), let .notReady(m): return m
        }
    }
}
