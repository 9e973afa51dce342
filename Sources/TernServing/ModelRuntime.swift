import Dispatch
import Foundation
import TernFormats
import TernTensor

/// A model version held in memory, ready to predict.
public struct LoadedModel: Sendable {
    /// The registered model's name.
    public let model: String
    public let version: Int
    public let ternModel: TernModel
    public let loadedAt: Date
    /// Bytes held by the network's parameters (4 per float).
    public let memoryBytes: Int
    /// Whether the version accepts predictions.
    public var ready: Bool

    public init(model: String, version: Int, ternModel: TernModel, loadedAt: Date = Date(), ready: Bool = true) {
        self.model = model
        self.version = version
        self.ternModel = ternModel
        self.loadedAt = loadedAt
        self.memoryBytes = ternModel.network.parameters.reduce(0) { $0 + $1.value.count * MemoryLayout<Float>.size }
        self.ready = ready
    }

    /// Output units per sample (the network's flat output size).
    public var outputUnits: Int { ternModel.network.outputShape.count }
}

/// A raw model input batch `(n, input.shape...)`, in the element type the
/// caller supplied.
public enum ModelInput: Sendable {
    case uint8(Tensor<UInt8>)
    case float32(Tensor<Float>)

    /// The batch size (first dimension).
    public var batchSize: Int {
        switch self {
        case let .uint8(t): return t.rank > 0 ? t.shape[0] : 0
        case let .float32(t): return t.rank > 0 ? t.shape[0] : 0
        }
    }
}

/// The models loaded for serving, keyed by (model name, version), and the
/// ``InferenceLimiter`` every prediction goes through.
public actor ModelRuntime {
    private struct Key: Hashable {
        var model: String
        var version: Int
    }

    private var models: [Key: LoadedModel] = [:]
    /// Bounds concurrent predictions; shared by every loaded model.
    public nonisolated let limiter: InferenceLimiter

    /// - Parameters:
    ///   - maxConcurrentPredictions: predictions at once (default: the processor count).
    ///   - maxQueuedPredictions: callers waiting for a slot before 503s (default 256).
    public init(maxConcurrentPredictions: Int = ProcessInfo.processInfo.activeProcessorCount,
                maxQueuedPredictions: Int = 256) {
        limiter = InferenceLimiter(maxConcurrent: maxConcurrentPredictions, maxQueued: maxQueuedPredictions)
    }

    /// Decodes `artifact` (verifying its checksums) on a worker thread and
    /// makes it the loaded copy of `model` version `version`, replacing a
    /// previous copy of that same version only.
    /// - Throws: ``FormatError`` when the artifact is invalid or corrupt.
    @discardableResult
    public func load(model: String, version: Int, artifact: [UInt8]) async throws -> LoadedModel {
        let decoded: Result<TernModel, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { try TernModel(artifact: artifact) })
            }
        }
        return install(LoadedModel(model: model, version: version, ternModel: try decoded.get()))
    }

    /// Makes an already decoded model the loaded copy of its version.
    @discardableResult
    public func install(_ loaded: LoadedModel) -> LoadedModel {
        models[Key(model: loaded.model, version: loaded.version)] = loaded
        return loaded
    }

    /// Drops a loaded version.
    /// - Returns: false if it was not loaded.
    @discardableResult
    public func unload(model: String, version: Int) -> Bool {
        models.removeValue(forKey: Key(model: model, version: version)) != nil
    }

    /// Every loaded version, by model name then version.
    public func loaded() -> [LoadedModel] {
        models.values.sorted { ($0.model, $0.version) < ($1.model, $1.version) }
    }

    /// The loaded versions of `model`, ascending.
    public func loaded(model: String) -> [LoadedModel] {
        models.values.filter { $0.model == model }.sorted { $0.version < $1.version }
    }

    public func get(model: String, version: Int) -> LoadedModel? {
        models[Key(model: model, version: version)]
    }

    /// The highest ready version of `model`.
    public func latestLoaded(model: String) -> LoadedModel? {
        models.values.filter { $0.model == model && $0.ready }.max { $0.version < $1.version }
    }

    /// Marks a loaded version ready or not.
    /// - Returns: false if it was not loaded.
    @discardableResult
    public func setReady(model: String, version: Int, _ ready: Bool) -> Bool {
        let key = Key(model: model, version: version)
        guard models[key] != nil else { return false }
        models[key]?.ready = ready
        return true
    }

    /// Runs `loaded` on `input` through the limiter: outputs `(n, units)`.
    /// - Throws: ``InferenceLimiterError/overloaded(running:queued:)`` when
    ///   too many predictions are waiting, or the model's error for an
    ///   input it cannot take.
    public nonisolated func predict(_ loaded: LoadedModel, _ input: ModelInput) async throws -> Tensor<Float> {
        let model = loaded.ternModel
        return try await limiter.run {
            switch input {
            case let .uint8(t): return try model.predict(t)
            case let .float32(t): return try model.predict(t)
            }
        }
    }
}
