import Foundation
import Logging
import TernFormats
import TernRegistry

/// Stores blobs and registers what refers to them, one at a time: every
/// registration of a model version (uploads and training jobs alike), every
/// dataset upload and every deletion that may leave a blob unreferenced
/// holds the blob lock, so a blob being stored again is never removed as
/// unreferenced in between.
public final class Registrar: Sendable {
    public let store: any RegistryStore
    public let artifacts: ArtifactStore
    let logger: Logger
    private let blobs = AsyncLock()

    public init(store: any RegistryStore, artifacts: ArtifactStore, logger: Logger) {
        self.store = store
        self.artifacts = artifacts
        self.logger = logger
    }

    /// Runs `body` holding the blob lock.
    public func withBlobLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await blobs.withLock(body)
    }

    /// Stores `artifact` and registers it as the next version of `model`
    /// (creating the model if needed), holding the blob lock; the blob is
    /// removed again if the version cannot be registered.
    public func registerVersion(model: String, artifact: [UInt8], spec: String, metrics: [String: Double],
                                lineage: Lineage, createdBy: String?) async throws -> VersionRecord {
        do { _ = try await store.model(model) } catch RegistryError.notFound {
            do { _ = try await store.createModel(name: model, description: "", tags: [:]) } catch RegistryError.alreadyExists {}
        }
        return try await withBlobLock {
            let sha = try self.artifacts.put(artifact)
            do {
                return try await self.store.createVersion(model: model, artifactSHA256: sha, sizeBytes: artifact.count, spec: spec,
                                                          metrics: metrics.filter { $0.value.isFinite }, lineage: lineage, createdBy: createdBy)
            } catch {
                await self.removeUnreferenced([sha])
                throw error
            }
        }
    }

    /// Deletes the blobs among `candidates` that nothing references any
    /// more (call holding the blob lock). A failure is logged.
    public func removeUnreferenced(_ candidates: [String]) async {
        guard !candidates.isEmpty else { return }
        do {
            let referenced = try await store.referencedArtifacts()
            for sha in Set(candidates) where !referenced.contains(sha) {
                try artifacts.delete(sha)
            }
        } catch {
            logger.warning("could not remove unreferenced artifacts", metadata: ["error": "\(error)"])
        }
    }
}

/// Where a trained version came from, beyond what its artifact records.
public struct TrainingRun: Sendable {
    public var runID: String
    public var jobID: String
    public var datasetVersion: Int?
    /// The rows as the job named them (`0:1000`, `test:9000:10000`).
    public var trainRows: String
    public var validationRows: String?

    public init(runID: String, jobID: String, datasetVersion: Int?, trainRows: String, validationRows: String?) {
        self.runID = runID
        self.jobID = jobID
        self.datasetVersion = datasetVersion
        self.trainRows = trainRows
        self.validationRows = validationRows
    }
}

extension Lineage {
    /// The lineage of a Tern model: what its artifact's training record
    /// says (dataset, rows, epochs, batch size, seed, optimizer, loss),
    /// plus the run and job when a training job of this server made it.
    /// Uploads and jobs record the same fields this way.
    public static func of(_ model: TernModel, run: TrainingRun? = nil) -> Lineage {
        guard let training = model.training else { return Lineage(runID: run?.runID, parameters: run.map { ["job_id": $0.jobID] } ?? [:]) }
        var parameters = [
            "epochs": String(training.epochs),
            "batch_size": String(training.batchSize),
            "seed": String(training.seed),
            "optimizer": model.spec.compile.optimizer.type,
            "loss": model.spec.compile.loss.rawValue,
        ]
        if let dataset = training.dataset {
            parameters["train_rows"] = dataset.trainRows
            parameters["train_samples"] = String(dataset.trainSamples)
            if let rows = dataset.validationRows { parameters["validation_rows"] = rows }
            parameters["validation_samples"] = String(dataset.validationSamples)
        }
        if let run {
            parameters["job_id"] = run.jobID
            parameters["train_rows"] = run.trainRows
            parameters["validation_rows"] = run.validationRows
        }
        return Lineage(runID: run?.runID, datasetName: training.dataset?.name, datasetVersion: run?.datasetVersion,
                       datasetSHA256: training.dataset?.sha256, parameters: parameters)
    }
}
