import ArgumentParser
import Foundation
import TernTensor
import TernNN
import TernData
import TernFormats
import TernTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model from a JSON spec and write the model artifact.",
        discussion: """
            Examples:
              tern train Examples/mnist-mlp.json                      # the 60,000 training images, like Keras' fit
              tern train Examples/mnist-mlp.json --validation test    # validated on the 10,000 test images each epoch
              tern train Examples/mnist-mlp.json --train test:0:8000 --validation test:8000:10000   # a quick check
            """)

    @Argument(help: "The model spec (JSON).") var spec: String
    @OptionGroup var data: DataOptions
    @Option(help: selectionHelp("Training samples", .train)) var train = "train"
    @Option(help: selectionHelp("Validation samples (default: none)", .test)) var validation: String?
    @Option(help: "Where to write the model artifact.") var output = "model.tern"
    @Option(help: "Override the spec's fit.seed.") var seed: UInt64?
    @Option(help: "Override the spec's fit.epochs.") var epochs: Int?
    @Option(name: .customLong("batch-size"), help: "Override the spec's fit.batch_size.") var batchSize: Int?
    @Flag(name: .customLong("no-augmentation"), help: "Ignore the spec's augmentation (for comparisons).") var noAugmentation = false
    @Flag(help: "Print only the final summary.") var quiet = false
    @OptionGroup var table: TableOptions

    func run() throws {
        var spec = try readSpec(self.spec)
        if noAugmentation { spec.augmentation = [] }
        if spec.input.format == .table {
            try trainTable(spec)
            return
        }
        let trainSet = try data.load(train, defaultPart: .train)
        let validationSet = try validation.map { try data.load($0, defaultPart: .test) }
        let progress = ProgressPrinter(quiet: quiet)
        let model = try TernModel.train(
            spec: spec, train: trainSet, validation: validationSet,
            overrides: FitOverrides(epochs: epochs, batchSize: batchSize, seed: seed),
            datasetName: data.directory.lastPathComponent, trainRows: try spelledOut(train, defaultPart: .train),
            validationRows: try validation.map { try spelledOut($0, defaultPart: .test) },
            onEvent: progress.handle)
        try model.save(to: URL(fileURLWithPath: output))
        print("saved \(output) (\(model.parameterCount.trainable) parameters, weights sha256 \(model.weightsChecksum.prefix(16)))")
    }
}

extension Train {
    /// A table model on `--csv`: trains on the split's training rows and
    /// validates on its held-out rows.
    func trainTable(_ spec: ModelSpec) throws {
        let (rows, trainRows, testRows) = try table.split(target: spec.input.target ?? "")
        let model = try TernModel.train(
            spec: spec, table: rows, trainRows: trainRows, validationRows: testRows.isEmpty ? nil : testRows,
            overrides: FitOverrides(epochs: epochs, batchSize: batchSize, seed: seed), datasetName: table.fileName,
            splitDescription: "\(trainRows.count) rows (test fraction \(table.testFraction), split seed \(table.splitSeed))",
            onEvent: ProgressPrinter(quiet: quiet).handle)
        try model.save(to: URL(fileURLWithPath: output))
        print("saved \(output) (\(model.parameterCount.trainable) parameters, \(model.tabular?.featureNames.count ?? 0) features)")
    }
}

/// Keras-style progress: `Epoch 1/5`, then a bar with the step count,
/// time and running metrics, redrawn in place on a terminal.
final class ProgressPrinter {
    let quiet: Bool
    let interactive = isatty(STDOUT_FILENO) != 0
    private var lastDraw = ContinuousClock.now
    private var epochStart = ContinuousClock.now
    private var epochs = 0

    init(quiet: Bool) { self.quiet = quiet }

    func handle(_ event: TrainingEvent) {
        guard !quiet else { return }
        switch event {
        case let .batchEnd(epoch, step, steps, metrics):
            if step == 1 {
                epochStart = .now
                print("Epoch \(epoch)")
            }
            guard interactive, ContinuousClock.now - lastDraw > .milliseconds(100) || step == steps else { return }
            lastDraw = .now
            let line = "\(bar(step, steps)) \(elapsed()) - \(formatMetrics(metrics))"
            print("\r\u{1B}[2K" + line, terminator: "")
            fflush(nil)
        case let .epochEnd(record, steps):
            let line = "\(bar(steps, steps)) \(format(record.seconds)) \(perStep(record.seconds, steps)) - \(formatMetrics(orderedMetrics(record.metrics)))"
            print(interactive ? "\r\u{1B}[2K" + line : line)
            fflush(nil)
        }
    }

    private func bar(_ step: Int, _ steps: Int) -> String {
        let width = 20
        if steps == 0 { return String(repeating: "━", count: width) }
        let filled = steps == 0 ? width : step * width / steps
        let digits = String(steps).count
        let count = String(repeating: " ", count: digits - String(step).count) + "\(step)/\(steps)"
        return count + " " + String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
    }

    private func elapsed() -> String {
        let d = ContinuousClock.now - epochStart
        return format(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    private func format(_ s: Double) -> String {
        s < 10 ? String(format: "%.2fs", s) : String(format: "%.0fs", s)
    }

    private func perStep(_ seconds: Double, _ steps: Int) -> String {
        let us = seconds / Double(max(steps, 1)) * 1e6
        return us < 1000 ? String(format: "%.0fus/step", us) : String(format: "%.0fms/step", us / 1000)
    }
}
