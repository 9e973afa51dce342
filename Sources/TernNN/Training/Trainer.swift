import TernTensor

/// Changes a training batch in place, e.g. random augmentation, drawing
/// from the generator it is given.
public typealias BatchTransform = @Sendable (inout Tensor<Float>, inout SeededGenerator) throws -> Void

/// The training loop: seeded shuffling per epoch, mini-batches, fused
/// output activation + loss, validation, early stopping and cancellation
/// between batches.
public struct Trainer: Sendable {
    public var network: Network
    public var optimizer: any Optimizer
    public let compile: CompileSpec
    /// Internal layers run in training; the last may be left to the loss.
    private let trainedLayerCount: Int
    /// The first internal layer with trainable parameters: backpropagation
    /// stops there, and that layer skips its input gradient.
    private let firstTrainedLayer: Int

    public init(network: Network, compile: CompileSpec) throws {
        self.network = network
        self.compile = compile
        self.optimizer = try compile.optimizer.makeOptimizer()
        if let last = network.layers.last as? ActivationLayer, last.activation == compile.loss.fusableActivation {
            trainedLayerCount = network.layers.count - 1
        } else {
            trainedLayerCount = network.layers.count
        }
        firstTrainedLayer = network.layers.indices.first { i in
            let end = i + 1 < network.layers.count ? network.offsets[i + 1] : network.parameters.count
            return network.parameters[network.offsets[i]..<end].contains { $0.trainable }
        } ?? network.layers.count
    }

    private var fused: Bool { trainedLayerCount < network.layers.count }

    private var metricNames: [String] { compile.metrics.map { $0 == "acc" ? "accuracy" : $0 } }

    private func makeMetrics() -> Metrics {
        Metrics(classification: compile.loss.isClassification, outputWidth: network.outputShape.count)
    }

    /// Trains on `x` (n, inputShape...) and `y`.
    /// - Parameters:
    ///   - batchTransform: applied to each gathered training batch
    ///     `(batch, inputShape...)` before the forward pass (data
    ///     augmentation); never to validation data. It gets its own
    ///     generator derived from `options.seed`, so the same seed gives the
    ///     same batches.
    ///   - shouldStop: polled between batches; when it returns true the
    ///     loop throws ``NNError/cancelled``.
    ///   - onEvent: progress, called on the training thread.
    /// - Returns: one record per epoch run.
    public mutating func fit(
        x: Tensor<Float>, y: Targets, validation: (x: Tensor<Float>, y: Targets)? = nil, options: FitSpec,
        batchTransform: BatchTransform? = nil,
        shouldStop: () -> Bool = { false }, onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> [EpochRecord] {
        try options.validate()
        let n = x.shape[0]
        guard n > 0 else { throw NNError.invalidTargets("no training samples") }
        guard y.count == n else { throw NNError.invalidTargets("\(n) samples but \(y.count) targets") }
        guard x.shape.droppingFirst == network.inputShape else {
            throw TensorError.shapeMismatch(op: "fit", expected: network.inputShape.batched(n), actual: x.shape)
        }
        var shuffleRNG = SeededGenerator(seed: options.seed &+ 0x5348_5546)
        var dropoutRNG = SeededGenerator(seed: options.seed &+ 0x4452_4F50)
        var transformRNG = SeededGenerator(seed: options.seed &+ 0x4155_474D)
        var order = Array(0..<n)
        let steps = (n + options.batchSize - 1) / options.batchSize
        var gradients = network.parameters.map { Tensor<Float>(zeros: $0.value.shape) }
        var history: [EpochRecord] = []
        var best: (value: Double, epoch: Int, parameters: [Parameter])?
        let clock = ContinuousClock()

        for epoch in 1...options.epochs {
            let start = clock.now
            if options.shuffle { order.shuffle(using: &shuffleRNG) }
            var metrics = makeMetrics()
            var lossSum: Double = 0
            for step in 0..<steps {
                if shouldStop() { throw NNError.cancelled }
                let rows = order[(step * options.batchSize)..<min(n, (step + 1) * options.batchSize)]
                var batch = x.gatherRows(rows)
                if let batchTransform { try batchTransform(&batch, &transformRNG) }
                let (loss, output, targets) = try trainStep(
                    x: batch, y: y.gatherRows(rows), gradients: &gradients, rng: &dropoutRNG)
                lossSum += Double(loss) * Double(rows.count)
                metrics.add(output: output, targets: targets, logits: fused)
                let seen = min(n, (step + 1) * options.batchSize)
                onEvent(.batchEnd(epoch: epoch, step: step + 1, steps: steps,
                                  metrics: [("loss", lossSum / Double(seen))] + metrics.report(metricNames)))
            }
            var record: [String: Double] = ["loss": lossSum / Double(n)]
            for (k, v) in metrics.report(metricNames) { record[k] = v }
            if let validation {
                for (k, v) in try evaluate(x: validation.x, y: validation.y) { record["val_" + k] = v }
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let entry = EpochRecord(epoch: epoch, metrics: record, seconds: seconds)
            history.append(entry)
            onEvent(.epochEnd(entry, steps: steps))

            if let stopping = options.earlyStopping, let value = record[stopping.monitor] {
                let improved = best.map { stopping.minimizes ? value < $0.value - stopping.minDelta : value > $0.value + stopping.minDelta } ?? true
                if improved {
                    best = (value, epoch, stopping.restoreBestWeights ? network.parameters : [])
                } else if let b = best, epoch - b.epoch > stopping.patience {
                    if stopping.restoreBestWeights { network.parameters = b.parameters }
                    break
                }
            }
        }
        return history
    }

    /// One optimisation step on a batch; returns the loss and the output
    /// (logits when fused) for metrics.
    mutating func trainStep(
        x: Tensor<Float>, y: Targets, gradients: inout [Tensor<Float>], rng: inout SeededGenerator
    ) throws -> (Float, Tensor<Float>, Targets) {
        var caches: [LayerCache] = []
        caches.reserveCapacity(trainedLayerCount)
        var activation = x
        for i in 0..<trainedLayerCount {
            let (out, cache) = try network.layers[i].trainingForward(
                activation, parameters: &network.parameters, offset: network.offsets[i], rng: &rng)
            caches.append(cache)
            activation = out
        }
        let (loss, gradOutput) = try compile.loss.evaluate(output: activation, targets: y, fromLogits: fused)
        guard loss.isFinite else { throw NNError.invalidConfiguration("loss became \(loss); lower the learning rate or check the data") }
        var grad = gradOutput
        for i in stride(from: trainedLayerCount - 1, through: firstTrainedLayer, by: -1) {
            let g = try network.layers[i].backward(
                grad, cache: caches[i], parameters: network.parameters, offset: network.offsets[i],
                gradients: &gradients, needsInputGradient: i > firstTrainedLayer)
            if let g { grad = g }
        }
        optimizer.update(parameters: &network.parameters, gradients: gradients)
        return (loss, activation, y)
    }

    /// Loss and compiled metrics in inference mode, in batches of `batchSize`.
    public func evaluate(x: Tensor<Float>, y: Targets, batchSize: Int = 1024) throws -> [String: Double] {
        let n = x.shape[0]
        guard y.count == n, n > 0 else { throw NNError.invalidTargets("\(n) samples but \(y.count) targets") }
        var metrics = makeMetrics()
        var lossSum: Double = 0
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let output = try network.forward(x.slice(rows: start..<end), upTo: trainedLayerCount)
            let targets = y.slice(rows: start..<end)
            let (loss, _) = try compile.loss.evaluate(output: output, targets: targets, fromLogits: fused)
            lossSum += Double(loss) * Double(end - start)
            metrics.add(output: output, targets: targets, logits: fused)
            start = end
        }
        var result: [String: Double] = ["loss": lossSum / Double(n)]
        for (k, v) in metrics.report(metricNames) { result[k] = v }
        return result
    }
}
