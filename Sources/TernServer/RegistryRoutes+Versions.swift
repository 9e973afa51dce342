import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernFormats
import TernSupport
import TernRegistry
import TernServing

extension RegistryRoutes {
    func addVersionRoutes(to api: RouterGroup<TernRequestContext>) {
        api.post("models/:name/versions") { request, context in try await createVersion(request, context) }
        api.get("models/:name/versions") { _, context in try await listVersions(context) }
        api.get("models/:name/versions/:version") { _, context in try await getVersion(context) }
        api.get("models/:name/versions/:version/artifact") { _, context in try await getArtifact(context) }
        api.delete("models/:name/versions/:version") { _, context in try await deleteVersion(context) }
    }

    /// A version as JSON: `spec` as an object, the aliases pointing at it,
    /// and the weights checksum when known.
    func versionJSON(_ v: VersionRecord, aliases: [AliasRecord], weightsSHA256: String?) -> RegistryJSON {
        let lineage: RegistryJSON = [
            "run_id": RegistryJSON(v.lineage.runID),
            "dataset_name": RegistryJSON(v.lineage.datasetName),
            "dataset_version": RegistryJSON(v.lineage.datasetVersion),
            "dataset_sha256": RegistryJSON(v.lineage.datasetSHA256),
            "parameters": RegistryJSON(v.lineage.parameters),
        ]
        return [
            "model": .string(v.model),
            "version": .int(v.version),
            "artifact_sha256": .string(v.artifactSHA256),
            "weights_sha256": RegistryJSON(weightsSHA256),
            "size_bytes": .int(v.sizeBytes),
            "spec": RegistryJSON(parsing: v.spec),
            "metrics": RegistryJSON(v.metrics),
            "lineage": lineage,
            "created_at": RegistryJSON(v.createdAt),
            "created_by": RegistryJSON(v.createdBy),
            "aliases": .array(aliases.filter { $0.version == v.version }.map(\.alias).sorted().map { .string($0) }),
        ]
    }

    /// The artifact bytes of an upload: the raw body
    /// (`application/octet-stream`) or the `artifact` part of a
    /// `multipart/form-data` body.
    func artifactUpload(_ request: Request) async throws -> [UInt8] {
        let contentType = request.headers[.contentType]
        let isMultipart = Multipart.isFormData(contentType)
        guard isMultipart || Multipart.mediaType(contentType) == "application/octet-stream" else {
            throw APIError(.unsupportedMediaType, "send the artifact as application/octet-stream, or as multipart/form-data with a part named 'artifact'")
        }
        let limit = services.configuration.maxBodyBytes
        let body = Array(try await request.collectBody(limit: limit).readableBytesView)
        var bytes = body
        if isMultipart, let contentType {
            let parts = try Multipart.parse(body, boundary: try Multipart.boundary(contentType: contentType))
            bytes = Array(try Multipart.parts(parts, named: ["artifact"])["artifact"]?.body ?? [])
        }
        guard !bytes.isEmpty else { throw APIError(.badRequest, "the artifact is empty") }
        return bytes
    }

    /// Validates the artifact (checksums, spec, weights) before anything is
    /// stored, then stores the blob durably and only then registers the version.
    func createVersion(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        // A first upload creates the model (as MLflow's log_model does), once the artifact checks out.
        let model = try name(context, "name", kind: "model")
        let bytes = try await artifactUpload(request)
        // Parsing (and an ONNX graph's constant folding, within the work
        // budget) runs on the bounded pool for heavy checks.
        let maxElements = services.runtime.workBudget.maxFloats
        let described = try await services.checks.run {
            try PredictionLimits.$maxElements.withValue(maxElements) { try ModelFormats.describe(bytes) }
        }
        let record = try await services.registrar.registerVersion(
            model: model, artifact: bytes, spec: described.spec, metrics: described.metrics, lineage: described.lineage,
            createdBy: context.identity?.id)
        return try registryResponse(versionJSON(record, aliases: [], weightsSHA256: described.weightsSHA256), status: .created,
                                headers: [.location: "/api/v1/models/\(model)/versions/\(record.version)"])
    }

    func listVersions(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try await existingModel(context)
        let aliases = try await store.aliases(model: model)
        let versions = try await store.versions(model: model).sorted { $0.version < $1.version }
        return try registryResponse(["versions": .array(versions.map { versionJSON($0, aliases: aliases, weightsSHA256: nil) })])
    }

    func getVersion(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try await existingModel(context)
        let record = try await store.version(model: model, version: try await resolveVersion(model: model, context))
        let weights = ModelFormats.weightsSHA256(artifacts, record.artifactSHA256)
        return try registryResponse(versionJSON(record, aliases: try await store.aliases(model: model), weightsSHA256: weights))
    }

    /// The artifact's bytes, verified against their checksum as read. A
    /// stored blob that fails its checksum (or is gone) is never served:
    /// 409, as when deploying it, telling the caller to upload the version
    /// again; the message names no path.
    func getArtifact(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try await existingModel(context)
        let version = try await resolveVersion(model: model, context)
        let record = try await store.version(model: model, version: version)
        let bytes: [UInt8]
        do { bytes = try artifacts.read(record.artifactSHA256) } catch RegistryError.checksumMismatch {
            context.logger.error("stored artifact fails its checksum", metadata: ["model": "\(model)", "version": "\(version)"])
            throw APIError(.conflict, "the stored artifact of model '\(model)' version \(version) is corrupt (checksum mismatch); upload the version again")
        } catch RegistryError.notFound {
            context.logger.error("stored artifact is missing", metadata: ["model": "\(model)", "version": "\(version)"])
            throw APIError(.conflict, "the artifact of model '\(model)' version \(version) is missing from the artifact store")
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers[.contentDisposition] = "attachment; filename=\"\(model)-v\(version).tern\""
        headers[.eTag] = "\"\(record.artifactSHA256)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Refused with 409 while the version is loaded or an alias points at it.
    func deleteVersion(_ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        let model = try await existingModel(context)
        let version = try await resolveVersion(model: model, context)
        _ = try await store.version(model: model, version: version)
        if await loadedVersions(of: model).contains(version) {
            throw APIError(.conflict, "\(model) version \(version) is loaded; unload it first")
        }
        let pointing = try await store.aliases(model: model).filter { $0.version == version }.map(\.alias).sorted()
        if !pointing.isEmpty {
            throw APIError(.conflict, "\(model) version \(version) is the target of alias \(pointing.joined(separator: ", ")); move or delete the alias first")
        }
        try await services.registrar.withBlobLock {
            if let sha = try await store.deleteVersion(model: model, version: version) {
                await services.registrar.removeUnreferenced([sha])
            }
        }
        return Response(status: .noContent)
    }
}

