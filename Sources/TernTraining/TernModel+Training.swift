import Foundation
import Crypto
import TernTensor
import TernNN
import TernData
import TernFormats
import TernSupport

/// Overrides of a spec's `fit` section (CLI flags, job parameters).
public struct FitOverrides: Sendable {
    public var epochs: Int?
    public var batchSize: Int?
    public var seed: UInt64?
    public init(epochs: Int? = nil, batchSize: Int? = nil, seed: UInt64? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
    }
}

extension TernModel {
    /// Trains `spec` on labelled images: builds the network from the seed,
    /// applies the preprocessing, fits (with the spec's augmentation applied
    /// to each training batch, after preprocessing), and records the lineage.
    /// - Parameters:
    ///   - train: training samples; `validation` optional held-out samples.
    ///   - datasetName: recorded in the lineage with the row ranges.
    /// - Throws: ``FormatError`` for specs that do not fit the data,
    ///   ``NNError/cancelled`` when `shouldStop` returns true.
    public static func train(
        spec: ModelSpec, train: LabeledImages, validation: LabeledImages?, overrides: FitOverrides = FitOverrides(),
        datasetName: String = "mnist", trainRows: String = "", validationRows: String? = nil,
        shouldStop: () -> Bool = { false }, onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TernModel {
        var spec = spec
        spec.fit.epochs = overrides.epochs ?? spec.fit.epochs
        spec.fit.batchSize = overrides.batchSize ?? spec.fit.batchSize
        spec.fit.seed = overrides.seed ?? spec.fit.seed
        do { try spec.fit.validate() } catch let e as NNError { throw FormatError.invalidSpec(e.description) }
        try spec.checkAugmentation()
        var model = try TernModel(spec: spec)
        let classes = model.network.outputShape.count
        let x = model.pipeline.apply(try model.conform(train.images))
        let y = try targets(train.labels, loss: spec.compile.loss, outputWidth: classes)
        let val = try validation.map {
            (x: model.pipeline.apply(try model.conform($0.images)), y: try targets($0.labels, loss: spec.compile.loss, outputWidth: classes))
        }

        let started = Date()
        var trainer = try Trainer(network: model.network, compile: spec.compile)
        let history: [EpochRecord]
        do {
            history = try trainer.fit(x: x, y: y, validation: val, options: spec.fit,
                                      batchTransform: augmentationTransform(spec), shouldStop: shouldStop, onEvent: onEvent)
        } catch let error as NNError where error != .cancelled {
            throw FormatError.invalidSpec(error.description)
        }
        model.network = trainer.network
        let final = try val.map { try trainer.evaluate(x: $0.x, y: $0.y) } ?? history.last?.metrics ?? [:]
        var digest = SHA256()
        train.images.withUnsafeBufferPointer { digest.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        train.labels.withUnsafeBufferPointer { digest.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        model.training = TrainingRecord(
            history: history,
            dataset: DatasetDescription(
                name: datasetName, trainRows: trainRows, validationRows: validationRows,
                trainSamples: train.count, validationSamples: validation?.count ?? 0,
                sha256: hexString(digest.finalize())),
            seed: spec.fit.seed, epochs: spec.fit.epochs, batchSize: spec.fit.batchSize,
            finalMetrics: final,
            trainedAt: ISO8601DateFormatter().string(from: started),
            seconds: Date().timeIntervalSince(started))
        return model
    }

    /// The spec's augmentation as a trainer batch transform (nil without
    /// any), on samples shaped like the network's input.
    static func augmentationTransform(_ spec: ModelSpec) -> BatchTransform? {
        guard !spec.augmentation.isEmpty else { return nil }
        let augmentation = Augmentation(spec.augmentation), sampleShape = spec.input.shape
        return { batch, rng in try augmentation.apply(to: &batch, sampleShape: sampleShape, rng: &rng) }
    }

    /// Loss and metrics of the model on labelled images.
    public func evaluate(_ data: LabeledImages, batchSize: Int = 1000) throws -> [String: Double] {
        let trainer = try Trainer(network: network, compile: spec.compile)
        let y = try TernModel.targets(data.labels, loss: spec.compile.loss, outputWidth: network.outputShape.count)
        do { return try trainer.evaluate(x: pipeline.apply(conform(data.images)), y: y, batchSize: batchSize) } catch let e as NNError {
            throw FormatError.invalidSpec(e.description)
        }
    }

    /// Integer labels in the form the loss expects.
    static func targets(_ labels: Tensor<Int32>, loss: Loss, outputWidth: Int) throws -> Targets {
        let values = labels.scalars
        if let bad = values.first(where: { $0 < 0 || (loss.isClassification && outputWidth > 1 && Int($0) >= outputWidth) }) {
            throw FormatError.invalidSpec("label \(bad) does not fit an output of \(outputWidth) units")
        }
        switch loss {
        case .sparseCategoricalCrossentropy:
            return .classes(labels)
        case .categoricalCrossentropy:
            var y = Tensor<Float>(zeros: [values.count, outputWidth])
            for (i, c) in values.enumerated() { y[flat: i * outputWidth + Int(c)] = 1 }
            return .values(y)
        case .binaryCrossentropy, .meanSquaredError:
            guard outputWidth == 1 else {
                throw FormatError.invalidSpec("\(loss.rawValue) on integer labels needs an output of 1 unit, got \(outputWidth)")
            }
            return .values(try Tensor(shape: [values.count, 1], scalars: values.map(Float.init)))
        }
    }
}
