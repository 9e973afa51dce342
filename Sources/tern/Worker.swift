import ArgumentParser
import CTernSystem
import Dispatch
import Foundation
import TernData
import TernFormats
import TernTraining
import TernNN
import TernServing
import TernTensor

/// `tern worker`: the training process the server starts for each job. It
/// speaks JSON lines on standard output (see ``WorkerMessage``), stops
/// between batches on SIGTERM, and is killed with the server that passed
/// `--parent-pid`.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one job for the server, reporting progress as JSON lines (internal).",
        discussion: """
            Example: tern worker --spec spec.json --images images.idx --labels labels.idx \
            --train 0:8000 --validation 8000:10000 --output model.tern
            """)

    @Option(help: "The model spec (JSON).") var spec: String
    @Option(help: "IDX file of images (gzip or raw).") var images: String?
    @Option(help: "IDX file of labels (gzip or raw).") var labels: String?
    @Option(name: .customLong("test-images"), help: "IDX file of the test part's images.") var testImages: String?
    @Option(name: .customLong("test-labels"), help: "IDX file of the test part's labels.") var testLabels: String?
    @Option(help: "Training samples: start:end (half-open) of --images, or train[:start:end], test[:start:end].") var train: String?
    @Option(help: "A CSV file (table models; split with --test-fraction and --split-seed).") var csv: String?
    @Option(name: .customLong("test-fraction"), help: "CSV: fraction of rows held out for validation.") var testFraction = 0.2
    @Option(name: .customLong("split-seed"), help: "CSV: seed of the held-out split.") var splitSeed: UInt64 = 1
    @Option(help: "Validation samples, as --train.") var validation: String?
    @Option(help: "Where to write the model artifact.") var output: String
    @Option(name: .customLong("memory-limit-mb"), help: "Address-space limit for this process, in MiB.") var memoryLimitMB: Int?
    @Option(name: .customLong("dataset-name"), help: "The dataset name recorded in the artifact's lineage.") var datasetName = "dataset"
    @Option(name: .customLong("parent-pid"), help: .hidden) var parentPID: Int32?

    func run() throws {
        try dieWithParent()
        let stop = StopFlag()
        let signals = installTerminationHandler(stop)
        defer { signals.forEach { $0.cancel() } }
        let out = MessageWriter()
        do {
            if let memoryLimitMB { try applyMemoryLimit(megabytes: memoryLimitMB) }
            let spec = try loadSpec()
            let model: TernModel
            if let csv {
                model = try trainTable(spec, csv: csv, stop: stop, out: out)
            } else {
                guard let train else { throw CLIError("give --train rows (IDX) or --csv") }
                var parts: [SampleSelection.Part: LabeledImages] = [:]
                func samples(_ text: String, field: String) throws -> LabeledImages {
                    let selection: SampleSelection
                    do { selection = try SampleSelection(parsing: text) } catch { throw CLIError("\(field): \(error)") }
                    let part = selection.part(default: .train)
                    let all: LabeledImages
                    if let loaded = parts[part] {
                        all = loaded
                    } else {
                        all = part == .train ? try loadData(images, labels)
                            : try loadData(testImages, testLabels, what: "--test-images and --test-labels")
                        parts[part] = all
                    }
                    do { return try all.slice(selection.range(count: all.count)) } catch { throw CLIError("\(field): \(error)") }
                }
                let trainSet = try samples(train, field: "train")
                let validationSet = try validation.map { try samples($0, field: "validation") }
                if stop.isSet { throw NNError.cancelled }
                model = try TernModel.train(
                    spec: spec, train: trainSet, validation: validationSet, datasetName: datasetName,
                    trainRows: train, validationRows: validation,
                    shouldStop: { stop.isSet }, onEvent: out.handle)
            }
            if stop.isSet { throw NNError.cancelled }
            try model.save(to: URL(fileURLWithPath: output))
            out.write(.done(metrics: model.training?.finalMetrics ?? [:]))
        } catch NNError.cancelled {
            out.write(.cancelled)
            throw ExitCode(143)
        } catch {
            out.write(.error(oneLine(error)))
            throw ExitCode(1)
        }
    }

    /// Makes the kernel kill this process when the server that started it
    /// ends, even by SIGKILL, so no orphan keeps training and writing files.
    /// Exits at once if that server is already gone (it died before the
    /// request took effect, and this process was handed to another parent).
    private func dieWithParent() throws {
        guard let parentPID else { return }
        guard tern_set_parent_death_signal(SIGKILL) == 0 else { throw CLIError("cannot ask to end with the server") }
        if getppid() != parentPID { throw ExitCode(137) }
    }

    /// A table model on the CSV's seeded held-out split (as `tern train --csv`).
    private func trainTable(_ spec: ModelSpec, csv: String, stop: StopFlag, out: MessageWriter) throws -> TernModel {
        let table = try CSVReader.read(contentsOf: URL(fileURLWithPath: csv)).table
        let target = spec.input.target ?? ""
        guard table[target] != nil else { throw CLIError("the dataset has no target column '\(target)'") }
        let (trainRows, testRows) = try table.heldOutSplit(target: target, testFraction: testFraction, seed: splitSeed)
        if stop.isSet { throw NNError.cancelled }
        return try TernModel.train(
            spec: spec, table: table, trainRows: trainRows, validationRows: testRows.isEmpty ? nil : testRows,
            datasetName: datasetName,
            splitDescription: "\(trainRows.count) rows (test fraction \(testFraction), split seed \(splitSeed))",
            shouldStop: { stop.isSet }, onEvent: out.handle)
    }

    private func loadSpec() throws -> ModelSpec {
        guard let data = FileManager.default.contents(atPath: spec) else { throw CLIError("cannot read the model spec") }
        do { return try JSONDecoder().decode(ModelSpec.self, from: data) } catch {
            throw CLIError("invalid model spec: \(describe(error))")
        }
    }

    /// Images `(n, ...)` as bytes and labels `(n)` as bytes or 32-bit integers.
    private func loadData(_ images: String?, _ labels: String?, what: String = "--images and --labels (IDX) or --csv") throws -> LabeledImages {
        guard let images, let labels else { throw CLIError("give \(what)") }
        let imageTensor = try IDX.read(contentsOf: URL(fileURLWithPath: images)).idxTensor(of: UInt8.self)
        let labelTensor: Tensor<Int32>
        switch try IDX.read(contentsOf: URL(fileURLWithPath: labels)) {
        case let .uint8(raw):
            var converted = Tensor<Int32>(uninitialized: raw.shape)
            converted.withUnsafeMutableBufferPointer { dst in
                raw.withUnsafeBufferPointer { src in for i in 0..<src.count { dst[i] = Int32(src[i]) } }
            }
            labelTensor = converted
        case let .int32(t):
            labelTensor = t
        case let other:
            throw CLIError("labels must be unsigned bytes or 32-bit integers, not \(other.dtype.idxName)")
        }
        return try LabeledImages(images: imageTensor, labels: labelTensor)
    }
}

/// Set from a signal handler's dispatch source, read between batches.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Routes SIGTERM (and SIGINT) to `flag` instead of ending the process, so
/// training can stop cleanly between batches.
func installTerminationHandler(_ flag: StopFlag) -> [any DispatchSourceSignal] {
    [SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { flag.set() }
        source.resume()
        return source
    }
}

/// Lowers this process's address-space limit (`RLIMIT_AS`) to `megabytes` MiB.
func applyMemoryLimit(megabytes: Int) throws {
    guard megabytes > 0, megabytes <= 1 << 30 else { throw CLIError("--memory-limit-mb must be between 1 and \(1 << 30)") }
    let bytes = rlim_t(megabytes) << 20
    var limit = rlimit()
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_AS.rawValue)
    #else
    let resource = RLIMIT_AS
    #endif
    guard getrlimit(resource, &limit) == 0 else { throw CLIError("cannot read the memory limit") }
    limit.rlim_cur = min(bytes, limit.rlim_max)
    limit.rlim_max = limit.rlim_cur
    guard setrlimit(resource, &limit) == 0 else { throw CLIError("cannot set the memory limit") }
}

/// Writes ``WorkerMessage``s to standard output, one line each, unbuffered;
/// batch progress at most about ten times a second.
final class MessageWriter {
    private var lastBatch: ContinuousClock.Instant?

    func write(_ message: WorkerMessage) {
        FileHandle.standardOutput.write(Data((message.jsonLine + "\n").utf8))
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .batchEnd(epoch, step, steps, metrics):
            let now = ContinuousClock.now
            if step != steps, let lastBatch, now - lastBatch < .milliseconds(100) { return }
            lastBatch = now
            let values = Dictionary(metrics, uniquingKeysWith: { _, last in last })
            write(.batch(JobProgress(epoch: epoch, step: step, steps: steps, metrics: values)))
        case let .epochEnd(record, _):
            write(.epoch(record))
        }
    }
}
