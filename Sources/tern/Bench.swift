import ArgumentParser
import Foundation
import TernTensor
import TernNN
import TernData
import TernFormats
import TernTraining
import TernONNX
import TernServing

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference speed (build with -c release).",
        subcommands: [BenchTrain.self, BenchPredict.self, BenchMatmul.self])
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Median seconds per epoch: the 60,000 MNIST training images, batch 32.")

    @Option(help: "The model spec (default: the built-in Keras MNIST MLP).") var spec: String?
    @OptionGroup var data: DataOptions
    @Option(help: "Epochs to time.") var epochs = 3
    @Option(help: "How many times to tile the training images.") var tile = 1
    @Option(name: .customLong("batch-size")) var batchSize = 32
    @Option(help: "Compute threads (default: all cores).") var threads: Int?

    func run() throws {
        if let threads { ComputeThreads.maximum = threads }
        let spec = try self.spec.map(readSpec) ?? BuiltInSpecs.mnistMLP
        let images = try data.load("train", defaultPart: .train).tiled(times: tile)
        print("bench train: \(spec.name), \(images.count) samples per epoch, batch \(batchSize), \(ComputeThreads.maximum) thread(s)")
        var times: [Double] = []
        _ = try TernModel.train(
            spec: spec, train: images, validation: nil,
            overrides: FitOverrides(epochs: epochs, batchSize: batchSize, seed: 1), onEvent: { event in
            if case let .epochEnd(record, _) = event {
                times.append(record.seconds)
                print(String(format: "epoch %d: %.3f s  loss %.4f", record.epoch, record.seconds, record.metrics["loss"] ?? .nan))
            }
        })
        print(String(format: "median seconds per epoch: %.3f", median(times)))
    }
}

struct BenchPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Single-image latency (median) and batch-10,000 throughput.")

    @Option(help: "A model artifact (.tern) or an ONNX file taking float pixels; default: a fresh model from --spec.") var model: String?
    @Option(help: "ONNX models: the value pixels are divided by.") var pixelScale: Float = 255
    @Option(help: "The model spec when no artifact is given (default: the built-in Keras MNIST MLP).") var spec: String?
    @OptionGroup var data: DataOptions
    @Option(help: "Single-image predictions to time.") var iterations = 20_000
    @Option(help: "Batch size for the throughput test.") var batch = 10_000
    @Option(help: "Compute threads (default: all cores).") var threads: Int?

    func run() throws {
        if let threads { ComputeThreads.maximum = threads }
        let images = try data.load("test", defaultPart: .test)
        let tiled = try images.tiled(times: (batch + images.count - 1) / images.count).images.slice(rows: 0..<batch)
        let singleImages = (0..<min(1000, images.count)).map { images.images.slice(rows: $0..<($0 + 1)) }
        if let path = self.model, let onnx = try readServable(path) as? ONNXModel {
            // Inputs converted before timing, as a client sends them.
            let singles = try singleImages.map { try onnx.imageInputs($0, scale: pixelScale) }
            let big = try onnx.imageInputs(tiled, scale: pixelScale)
            try measure(label: " (ONNX)", single: { try onnx.firstOutput(onnx.predict(singles[$0 % singles.count])) },
                        batch: { try onnx.firstOutput(onnx.predict(big)) })
            return
        }
        let model = try self.model.map(loadModel) ?? TernModel(spec: spec.map(readSpec) ?? BuiltInSpecs.mnistMLP)
        try measure(label: "", single: { try model.predict(singleImages[$0 % singleImages.count]) }, batch: { try model.predict(tiled) })
    }

    /// Times `single` (the i-th single-image prediction; 1,000 warm-up
    /// calls, then `iterations` timed) and `batch` (12 runs, the first 2
    /// dropped), and prints the medians.
    func measure(label: String, single: (Int) throws -> Tensor<Float>, batch run: () throws -> Tensor<Float>) throws {
        let clock = ContinuousClock()
        var latencies: [Double] = []
        latencies.reserveCapacity(iterations)
        var sink: Float = 0
        for i in 0..<(iterations + 1000) {
            let start = clock.now
            let out = try single(i)
            let d = clock.now - start
            sink += out[flat: 0]
            if i >= 1000 { latencies.append(seconds(d)) }
        }
        print(String(format: "single image: median %.2f us, p99 %.2f us%@", median(latencies) * 1e6, percentile(latencies, 0.99) * 1e6, label))
        var rates: [Double] = []
        for _ in 0..<12 {
            let start = clock.now
            let out = try run()
            rates.append(Double(batch) / seconds(clock.now - start))
            sink += out[flat: 0]
        }
        rates.removeFirst(2)
        print(String(format: "batch %d: median %.0f images/s (%d thread(s))%@", batch, median(rates), ComputeThreads.maximum, label))
        if sink.isNaN { print("(non-finite outputs)") }
    }
}

struct BenchMatmul: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "matmul", abstract: "Matrix-multiply kernels, naive vs fast.")
    func run() throws { print(MatmulBenchmark.run()) }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}
