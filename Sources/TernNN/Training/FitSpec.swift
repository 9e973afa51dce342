import TernSupport

/// How long and in what batches to train (Keras `fit` arguments).
public struct FitSpec: Codable, Equatable, Sendable {
    public var epochs: Int = 1
    public var batchSize: Int = 32
    public var seed: UInt64 = 0
    public var shuffle = true
    public var earlyStopping: EarlyStopping?

    public init(epochs: Int = 1, batchSize: Int = 32, seed: UInt64 = 0, shuffle: Bool = true, earlyStopping: EarlyStopping? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.earlyStopping = earlyStopping
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        try c.rejectUnknownKeys(["epochs", "batch_size", "seed", "shuffle", "early_stopping"], context: "fit")
        epochs = try c.value("epochs") ?? 1
        batchSize = try c.value("batch_size") ?? 32
        seed = try c.value("seed") ?? 0
        shuffle = try c.value("shuffle") ?? true
        earlyStopping = try c.value("early_stopping")
        try validate()
    }

    /// - Throws: ``NNError/invalidConfiguration(_:)`` for out-of-range values.
    public func validate() throws {
        guard (1...100_000).contains(epochs) else { throw NNError.invalidConfiguration("epochs must be between 1 and 100000, got \(epochs)") }
        guard (1...1_000_000).contains(batchSize) else { throw NNError.invalidConfiguration("batch_size must be between 1 and 1000000, got \(batchSize)") }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(epochs, forKey: JSONKey("epochs"))
        try c.encode(batchSize, forKey: JSONKey("batch_size"))
        try c.encode(seed, forKey: JSONKey("seed"))
        try c.encode(shuffle, forKey: JSONKey("shuffle"))
        try c.encodeIfPresent(earlyStopping, forKey: JSONKey("early_stopping"))
    }
}

/// Stops training when `monitor` has not improved by `minDelta` for
/// `patience` epochs (Keras `EarlyStopping`); losses and errors are
/// minimised, other metrics maximised.
public struct EarlyStopping: Codable, Equatable, Sendable {
    public var monitor: String = "val_loss"
    public var patience: Int = 0
    public var minDelta: Double = 0
    public var restoreBestWeights = false

    public init(monitor: String = "val_loss", patience: Int = 0, minDelta: Double = 0, restoreBestWeights: Bool = false) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
        self.restoreBestWeights = restoreBestWeights
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        try c.rejectUnknownKeys(["monitor", "patience", "min_delta", "restore_best_weights"], context: "early_stopping")
        monitor = try c.value("monitor") ?? "val_loss"
        patience = try c.value("patience") ?? 0
        minDelta = try c.value("min_delta") ?? 0
        restoreBestWeights = try c.value("restore_best_weights") ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(monitor, forKey: JSONKey("monitor"))
        try c.encode(patience, forKey: JSONKey("patience"))
        try c.encode(minDelta, forKey: JSONKey("min_delta"))
        try c.encode(restoreBestWeights, forKey: JSONKey("restore_best_weights"))
    }

    var minimizes: Bool {
        let m = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
        return ["loss", "mae", "mse", "rmse"].contains(m)
    }
}

/// One epoch's results: `loss`, the compiled metrics, and `val_`-prefixed
/// validation versions of both.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var metrics: [String: Double]
    public var seconds: Double

    public init(epoch: Int, metrics: [String: Double], seconds: Double) {
        self.epoch = epoch
        self.metrics = metrics
        self.seconds = seconds
    }
}

/// Progress reported while training.
public enum TrainingEvent: Sendable {
    /// After each batch: running means over the epoch so far.
    case batchEnd(epoch: Int, step: Int, steps: Int, metrics: [(String, Double)])
    case epochEnd(EpochRecord, steps: Int)
}
