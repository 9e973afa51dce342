import Hummingbird
import TernRegistry

/// Training runs (MLflow's runs): what produced a version, by the id found
/// in a version's `lineage.run_id`.
func addRunRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    router.get("/api/v1/runs/{id}") { _, context in
        try context.require(.read)
        let id = context.parameters.get("id") ?? ""
        guard (1...128).contains(id.utf8.count), id.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw APIError(.badRequest, "run ids are letters, digits, '-' and '_'")
        }
        let run = try await services.store.run(id)
        let body: RegistryJSON = [
            "id": .string(run.id),
            "job_id": RegistryJSON(run.jobID),
            "model": .string(run.model),
            "parameters": RegistryJSON(run.parameters),
            "history": RegistryJSON(parsing: run.history),
            "final_metrics": RegistryJSON(run.finalMetrics),
            "dataset_name": RegistryJSON(run.datasetName),
            "dataset_version": RegistryJSON(run.datasetVersion),
            "dataset_sha256": RegistryJSON(run.datasetSHA256),
            "created_at": RegistryJSON(run.createdAt),
        ]
        return try registryResponse(body)
    }
}
