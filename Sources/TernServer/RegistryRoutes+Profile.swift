import Foundation
import Hummingbird
import TernData
import TernRegistry

extension RegistryRoutes {
    /// `GET /api/v1/datasets/{name}/profile[?version=N]` (scope `read`).
    func addDatasetProfileRoutes(to api: RouterGroup<TernRequestContext>) {
        api.get("datasets/:name/profile") { request, context in try await datasetProfile(request, context) }
    }

    /// The ``TableProfile`` of a CSV dataset (the latest version, or
    /// `?version=N`) as JSON. IDX datasets are refused with 400: their
    /// profile would be an image tensor's, not a table's.
    func datasetProfile(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        try RegistryRoutes.checkQuery(request, allowed: ["version"])
        let name = try name(context, "name", kind: "dataset")
        let version = try request.uri.queryParameters["version"].map { try RegistryRoutes.versionNumber($0) }
        let record = try await store.dataset(name: name, version: version)
        guard record.kind == .csv else {
            throw APIError(.badRequest, "profile is for CSV datasets; '\(name)' version \(record.version) is an IDX dataset")
        }
        guard let sha = record.files[RegistryRoutes.csvTableRole] else {
            throw APIError(.internalServerError, "dataset '\(name)' version \(record.version) has no table file")
        }
        let bytes = try artifacts.read(sha)
        let table: Table
        do {
            table = try CSVReader.parse(bytes).table
        } catch let error as CSVError {
            throw APIError(.unprocessableContent, "the stored CSV cannot be read: \(error.description)")
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(profile(table))
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
