import Dispatch
import Foundation
import Metrics
import TernFormats
import TernTensor

/// A model version held in memory, ready to predict.
public struct LoadedModel: Sendable {
    /// The registered model's name.
    public let model: String
    public let version: Int
    public let servable: any ServableModel
    public let loadedAt: Date
    /// Bytes held by the model's weights.
    public let memoryBytes: Int
    /// Whether the version accepts predictions.
    public var ready: Bool
    /// How the version batches requests (set by ``ModelRuntime/install(_:batching:)``).
    public internal(set) var batching: BatchingConfiguration = .disabled
    /// The version's batcher when ``batching`` is on.
    var batcher: Batcher?
    /// Running predictions and the time of the latest (shared by copies).
    public let usage = ModelUsage()

    public init(model: String, version: Int, servable: any ServableModel, loadedAt: Date = Date(), ready: Bool = true) {
        self.model = model
        self.version = version
        self.servable = servable
        self.loadedAt = loadedAt
        memoryBytes = servable.memoryBytes
        self.ready = ready
    }
}

/// The models loaded for serving, keyed by (model name, version), and the
/// ``InferenceLimiter`` every prediction goes through.
///
/// A version loaded with batching on (``BatchingConfiguration/isEnabled``)
/// gets its own ``Batcher``: concurrent ``predict(_:_:)`` calls for it are
/// then run together in batches, each batch as one prediction through the
/// limiter.
public actor ModelRuntime {
    private struct Key: Hashable {
        var model: String
        var version: Int
    }

    private var models: [Key: LoadedModel] = [:]
    /// Deployed versions unloaded to stay within ``memoryBudget``, with their
    /// batching settings; the server loads them again when a request needs one.
    private var evicted: [Key: BatchingConfiguration] = [:]
    /// Versions an alias points at: never unloaded for the budget.
    private var pinned: Set<Key> = []
    /// Bytes of parameters the loaded versions may hold together (nil: no
    /// limit). Past it, ``install(_:batching:)`` unloads the least recently
    /// used versions that no alias points at. Versions that are pinned, or
    /// predicting, are kept even if that leaves the runtime over budget.
    public let memoryBudget: Int?
    private let evictions: Counter
    /// Bounds concurrent predictions; shared by every loaded model.
    public nonisolated let limiter: InferenceLimiter
    /// What one request's prediction may allocate: a larger batch runs in
    /// chunks, and a request whose output or single sample is over it is
    /// refused with ``WorkBudgetError`` before anything is allocated.
    public nonisolated let workBudget: WorkBudget
    /// Where batchers report their metrics (nil: the bootstrapped `MetricsSystem`).
    private let metricsFactory: (any MetricsFactory)?

    /// - Parameters:
    ///   - maxConcurrentPredictions: predictions at once (default: the processor count).
    ///   - maxQueuedPredictions: callers waiting for a slot before 503s (default 256).
    ///   - memoryBudget: bytes of parameters loaded at once (nil: no limit).
    ///   - workBudget: bytes one prediction may allocate (see ``workBudget``).
    ///   - metricsFactory: where batchers report `tern_inference_batch_size`
    ///     and `tern_inference_queue_depth`, and the runtime
    ///     `tern_model_evictions_total` (default: the bootstrapped `MetricsSystem`).
    public init(maxConcurrentPredictions: Int = ProcessInfo.processInfo.activeProcessorCount,
                maxQueuedPredictions: Int = 256, memoryBudget: Int? = nil, workBudget: Int = WorkBudget.defaultBytes,
                metricsFactory: (any MetricsFactory)? = nil) {
        limiter = InferenceLimiter(maxConcurrent: maxConcurrentPredictions, maxQueued: maxQueuedPredictions)
        self.memoryBudget = memoryBudget
        self.workBudget = WorkBudget(bytes: workBudget)
        self.metricsFactory = metricsFactory
        evictions = Counter(label: "tern_model_evictions_total", factory: metricsFactory ?? MetricsSystem.factory)
    }

    /// Decodes `artifact` (verifying its checksums) on a worker thread and
    /// makes it the loaded copy of `model` version `version`, replacing a
    /// previous copy of that same version only.
    /// - Parameter batching: how the version batches requests (default: off).
    /// - Throws: ``FormatError`` when the artifact is invalid or corrupt,
    ///   ``BatchingConfigurationError`` for an invalid `batching`.
    @discardableResult
    public func load(model: String, version: Int, artifact: [UInt8],
                     batching: BatchingConfiguration = .disabled) async throws -> LoadedModel {
        let batching = try batching.validated()
        let maxElements = workBudget.maxFloats
        let decoded: Result<any ServableModel, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result {
                    try PredictionLimits.$maxElements.withValue(maxElements) { try ModelFormats.read(artifact) }
                })
            }
        }
        let servable = try decoded.get()
        if batching.isEnabled, !servable.supportsBatching {
            throw FormatError.invalidArtifact("dynamic batching is not available for \(servable.platform) models; deploy without 'batching'")
        }
        return install(LoadedModel(model: model, version: version, servable: servable), batching: batching)
    }

    /// Makes an already decoded model the loaded copy of its version, with
    /// a new batcher when `batching` is on (requests already queued on a
    /// replaced copy finish on it).
    /// - Parameter batching: a validated configuration (default: off).
    @discardableResult
    public func install(_ loaded: LoadedModel, batching: BatchingConfiguration = .disabled) -> LoadedModel {
        var loaded = loaded
        loaded.batching = batching
        loaded.batcher = nil
        if batching.isEnabled, loaded.servable.supportsBatching {
            let model = loaded.servable
            let maxElements = workBudget.maxFloats
            loaded.batcher = Batcher(
                configuration: batching, limiter: limiter,
                dimensions: [("model", loaded.model), ("version", String(loaded.version))],
                metricsFactory: metricsFactory
            ) { inputs in
                try PredictionLimits.$maxElements.withValue(maxElements) { try model.predict(inputs) }
            }
        }
        let key = Key(model: loaded.model, version: loaded.version)
        models[key] = loaded
        evicted[key] = nil
        evictOverBudget(keeping: key)
        return loaded
    }

    /// Bytes of parameters loaded now.
    public var loadedBytes: Int { models.values.reduce(0) { $0 + $1.memoryBytes } }

    /// Unloads least recently used, unpinned, idle versions (never `kept`)
    /// until the loaded versions fit ``memoryBudget``.
    private func evictOverBudget(keeping kept: Key) {
        guard let memoryBudget else { return }
        var total = loadedBytes
        guard total > memoryBudget else { return }
        let candidates = models.filter { key, loaded in
            key != kept && !pinned.contains(key) && loaded.usage.snapshot.running == 0
        }.sorted { $0.value.usage.snapshot.lastUsed < $1.value.usage.snapshot.lastUsed }
        for (key, loaded) in candidates where total > memoryBudget {
            models[key] = nil
            evicted[key] = loaded.batching
            total -= loaded.memoryBytes
            evictions.increment()
        }
    }

    /// Marks the versions of `model` that aliases point at (replacing the
    /// previous marks): the budget never unloads them.
    public func setPinned(model: String, versions: Set<Int>) {
        pinned = pinned.filter { $0.model != model }.union(versions.map { Key(model: model, version: $0) })
    }

    /// The batching settings of a deployed version that was unloaded to stay
    /// within the budget (nil if it is loaded or not deployed).
    public func evictedDeployment(model: String, version: Int) -> BatchingConfiguration? {
        evicted[Key(model: model, version: version)]
    }

    /// Every deployed version: loaded ones with their model, evicted ones
    /// with their batching settings only.
    public func deployments() -> [(model: String, version: Int, batching: BatchingConfiguration, loaded: LoadedModel?)] {
        let loadedRows = models.values.map { (model: $0.model, version: $0.version, batching: $0.batching, loaded: Optional($0)) }
        let evictedRows = evicted.map { (model: $0.key.model, version: $0.key.version, batching: $0.value, loaded: LoadedModel?.none) }
        return (loadedRows + evictedRows).sorted { ($0.model, $0.version) < ($1.model, $1.version) }
    }

    /// The batching counts of a loaded version (nil when it is not loaded
    /// or does not batch).
    public func batchingStats(model: String, version: Int) async -> BatchingStats? {
        await models[Key(model: model, version: version)]?.batcher?.stats
    }

    /// Drops a deployed version, loaded or evicted.
    /// - Returns: false if it was not deployed.
    @discardableResult
    public func unload(model: String, version: Int) -> Bool {
        let key = Key(model: model, version: version)
        let wasEvicted = evicted.removeValue(forKey: key) != nil
        return models.removeValue(forKey: key) != nil || wasEvicted
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

    /// Runs the model's warm-up sample through `loaded`, if it has one.
    public nonisolated func warm(_ loaded: LoadedModel) async throws {
        if let inputs = loaded.servable.warmUpInputs { _ = try await predict(loaded, inputs) }
    }

    /// Batches up to this many samples run on the calling task (see ``InferenceLimiter``).
    public static let inlineBatchLimit = 16

    /// Runs `loaded` on `inputs` through the limiter: every output.
    ///
    /// The inputs are checked against the model first
    /// (``ServableModel/checkedInputs(_:)``), so a bad request fails alone,
    /// before it queues. A batch over the work budget runs in chunks. When
    /// the version batches, the request then runs as part of a batch; the
    /// rows answered equal those of running it alone.
    /// - Throws: ``ModelInputError`` for inputs the model cannot take,
    ///   ``WorkBudgetError`` for a request over the work budget,
    ///   ``InferenceLimiterError/overloaded(running:queued:)`` when too many
    ///   predictions (or batched requests) are waiting.
    public nonisolated func predict(_ loaded: LoadedModel, _ inputs: NamedTensors) async throws -> NamedTensors {
        let model = loaded.servable
        let inputs = try model.checkedInputs(inputs)
        let batch = inputs.batchSize
        let chunk = try workBudget.chunkSize(model, batch: batch)
        loaded.usage.begin()
        defer { loaded.usage.end() }
        let sameBatch = inputs.hasOneBatchSize
        if let batcher = loaded.batcher, sameBatch, batch > 0, batch <= chunk {
            return try await batcher.submit(inputs)
        }
        let maxElements = workBudget.maxFloats
        // A handful of samples takes microseconds: run them on this task.
        return try await limiter.run(inline: batch <= ModelRuntime.inlineBatchLimit) {
            try PredictionLimits.$maxElements.withValue(maxElements) {
                guard sameBatch, batch > chunk else { return try model.predict(inputs) }
                return try Self.inChunks(inputs, batch: batch, of: chunk, model.predict)
            }
        }
    }

    /// The first output, as float32, of a model that takes one input:
    /// `input` fed as that input.
    /// - Throws: as ``predict(_:_:)-(_,NamedTensors)``, or
    ///   ``ModelInputError`` when the model takes several inputs or its
    ///   first output is not float32.
    public nonisolated func predict(_ loaded: LoadedModel, _ input: AnyTensor) async throws -> Tensor<Float> {
        let model = loaded.servable
        guard model.inputs.count == 1, let name = model.inputs.first?.name, let output = model.outputs.first?.name else {
            throw ModelInputError("the model takes \(model.inputs.count) inputs; name each")
        }
        guard case let .float32(t)? = try await predict(loaded, [name: input])[output] else {
            throw ModelInputError("output '\(output)' is not float32")
        }
        return t
    }

    /// `run` on `chunk` samples at a time, the outputs of the chunks
    /// concatenated along the batch axis.
    private static func inChunks(_ inputs: NamedTensors, batch: Int, of chunk: Int,
                                 _ run: (NamedTensors) throws -> NamedTensors) throws -> NamedTensors {
        var parts: [NamedTensors] = []
        var start = 0
        while start < batch {
            let end = min(batch, start + chunk)
            parts.append(try run(inputs.mapValues { $0.slice(rows: start..<end) }))
            start = end
        }
        do {
            return try NamedTensors.joined(parts)
        } catch {
            throw ModelInputError("the model's outputs differ in shape between chunks of one batch")
        }
    }
}
