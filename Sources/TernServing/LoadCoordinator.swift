/// One load at a time per model version: concurrent requests for a version
/// that is being loaded wait for that same load instead of starting another.
actor LoadCoordinator {
    private struct Key: Hashable { var model: String; var version: Int }
    private var running: [Key: Task<LoadedModel, any Error>] = [:]

    /// Runs `load` unless a load of the same version is under way, in which
    /// case it waits for that one's result.
    func load(model: String, version: Int, _ load: @escaping @Sendable () async throws -> LoadedModel) async throws -> LoadedModel {
        let key = Key(model: model, version: version)
        if let task = running[key] { return try await task.value }
        let task = Task { try await load() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
