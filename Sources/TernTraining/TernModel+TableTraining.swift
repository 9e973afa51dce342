import Foundation
import TernTensor
import TernNN
import TernData
import TernFormats

/// Training table models: rows of a CSV go through the spec's tabular
/// pipeline, fitted on the training rows only and stored in the artifact,
/// so serving applies exactly what training did.
extension TernModel {
    /// Trains a table model: fits the pipeline on `trainRows`, transforms
    /// both splits with it, builds the network for the resulting feature
    /// count, and trains.
    /// - Throws: ``FormatError`` for a spec that does not fit the table.
    public static func train(
        spec: ModelSpec, table: Table, trainRows: [Int], validationRows: [Int]?, overrides: FitOverrides = FitOverrides(),
        datasetName: String = "table", datasetSHA256: String? = nil, splitDescription: String = "",
        shouldStop: () -> Bool = { false }, onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TernModel {
        guard spec.input.format == .table, let target = spec.input.target else {
            throw FormatError.invalidSpec("this spec's input is not a table (\"input\": {\"format\": \"table\", \"target\": ...})")
        }
        guard table[target] != nil else {
            throw FormatError.invalidSpec("the table has no target column '\(target)' (columns: \(table.columnNames.prefix(20).joined(separator: ", ")))")
        }
        var spec = spec
        spec.fit.epochs = overrides.epochs ?? spec.fit.epochs
        spec.fit.batchSize = overrides.batchSize ?? spec.fit.batchSize
        spec.fit.seed = overrides.seed ?? spec.fit.seed
        do { try spec.fit.validate() } catch let e as NNError { throw FormatError.invalidSpec(e.description) }

        let fitted: FittedTabularPipeline
        let train: (features: Tensor<Float>, targets: TabularTargets?)
        let validation: (features: Tensor<Float>, targets: TabularTargets?)?
        do {
            let pipeline = TabularPipeline(steps: spec.pipeline, target: target, classification: spec.input.classification)
            fitted = try pipeline.fit(table.rows(trainRows))
            train = try fitted.transform(table.rows(trainRows), training: true)
            validation = try validationRows.map { try fitted.transform(table.rows($0), training: false) }
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError.invalidSpec("pipeline: \(error)")
        }
        guard let trainTargets = train.targets else { throw FormatError.invalidSpec("the target column '\(target)' is missing after the pipeline") }
        spec.input.shape = [fitted.featureNames.count]
        if let labels = fitted.classLabels {
            let units = spec.layers.reversed().compactMap { layer -> Int? in
                if case let .dense(units, _, _) = layer { return units }
                return nil
            }.first
            let needed = labels.count == 2 && units == 1 ? 1 : labels.count
            if let units, units != needed {
                throw FormatError.invalidSpec("the target '\(target)' has \(labels.count) classes (\(labels.prefix(10).joined(separator: ", "))); the last dense layer has \(units) units")
            }
        }
        var model = try TernModel(spec: spec)
        model.tabular = fitted
        let y = try targets(trainTargets, loss: spec.compile.loss, outputWidth: model.network.outputShape.count)
        let val = try validation.flatMap { v -> (x: Tensor<Float>, y: Targets)? in
            guard let t = v.targets else { return nil }
            return (v.features, try targets(t, loss: spec.compile.loss, outputWidth: model.network.outputShape.count))
        }
        let started = Date()
        var trainer = try Trainer(network: model.network, compile: spec.compile)
        let history: [EpochRecord]
        do {
            history = try trainer.fit(x: train.features, y: y, validation: val, options: spec.fit, shouldStop: shouldStop, onEvent: onEvent)
        } catch let error as NNError where error != .cancelled {
            throw FormatError.invalidSpec(error.description)
        }
        model.network = trainer.network
        let final = try val.map { try trainer.evaluate(x: $0.x, y: $0.y) } ?? history.last?.metrics ?? [:]
        model.training = TrainingRecord(
            history: history,
            dataset: DatasetDescription(name: datasetName, trainRows: splitDescription, validationRows: validationRows.map { "\($0.count) held-out rows" },
                                        trainSamples: trainRows.count, validationSamples: validationRows?.count ?? 0, sha256: datasetSHA256),
            seed: spec.fit.seed, epochs: spec.fit.epochs, batchSize: spec.fit.batchSize, finalMetrics: final,
            trainedAt: ISO8601DateFormatter().string(from: started), seconds: Date().timeIntervalSince(started))
        return model
    }

    /// Loss and metrics on table rows that include the target column.
    public func evaluate(table: Table) throws -> [String: Double] {
        guard let tabular else { throw FormatError.invalidSpec("this model takes tensors, not table rows") }
        let transformed: (features: Tensor<Float>, targets: TabularTargets?)
        do { transformed = try tabular.transform(table, training: false) } catch { throw FormatError.invalidSpec("\(error)") }
        guard let t = transformed.targets else { throw FormatError.invalidSpec("the rows have no target column '\(spec.input.target ?? "")'") }
        let trainer = try Trainer(network: network, compile: spec.compile)
        let y = try TernModel.targets(t, loss: spec.compile.loss, outputWidth: network.outputShape.count)
        do { return try trainer.evaluate(x: transformed.features, y: y) } catch let e as NNError { throw FormatError.invalidSpec(e.description) }
    }

    /// Pipeline targets in the form the loss expects.
    static func targets(_ targets: TabularTargets, loss: Loss, outputWidth: Int) throws -> Targets {
        switch targets {
        case let .classes(classes):
            return try self.targets(Tensor(classes), loss: loss, outputWidth: outputWidth)
        case let .values(values):
            guard !loss.isClassification else {
                throw FormatError.invalidSpec("\(loss.rawValue) needs a class target; this target is numeric (set \"classification\": true on the input to treat it as classes)")
            }
            guard outputWidth == 1 else { throw FormatError.invalidSpec("a numeric target needs an output of 1 unit, got \(outputWidth)") }
            return .values(try Tensor(shape: [values.count, 1], scalars: values))
        }
    }
}
