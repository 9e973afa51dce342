import ArgumentParser
import Foundation
import TernTensor
import TernData
import TernFormats
import TernNN

/// Where the MNIST IDX files are: `--data`, else `$TERN_DATA_DIR/mnist`,
/// else the repository's `Data/mnist`.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Directory with MNIST-style IDX files, train-* and t10k-* (default: the repository's Data/mnist, or $TERN_DATA_DIR/mnist).")
    var data: String?

    var directory: URL {
        data.map { URL(fileURLWithPath: $0) } ?? DataLocation.mnistDirectory
    }

    /// The samples `text` selects (`train`, `test`, `PART:start:end`, or a
    /// bare `start:end` of `defaultPart`).
    func load(_ text: String, defaultPart: SampleSelection.Part) throws -> LabeledImages {
        try MNIST.load(directory: directory, try SampleSelection(parsing: text), defaultPart: defaultPart)
    }
}

/// The help text of a sample-selection option.
func selectionHelp(_ what: String, _ part: SampleSelection.Part) -> ArgumentHelp {
    ArgumentHelp("\(what): train, test, train:START:END, test:START:END, or START:END of the \(part.rawValue) images.")
}

/// `text` with its part spelled out, for training records.
func spelledOut(_ text: String, defaultPart: SampleSelection.Part) throws -> String {
    let selection = try SampleSelection(parsing: text)
    return SampleSelection(part: selection.part(default: defaultPart), rows: selection.rows).description
}

func readSpec(_ path: String) throws -> ModelSpec {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("cannot read spec '\(URL(fileURLWithPath: path).lastPathComponent)'")
    }
    do {
        return try JSONDecoder().decode(ModelSpec.self, from: data)
    } catch {
        throw CLIError("\(URL(fileURLWithPath: path).lastPathComponent): \(describe(error))")
    }
}

func loadModel(_ path: String) throws -> TernModel {
    guard FileManager.default.fileExists(atPath: path) else {
        throw CLIError("model file '\(URL(fileURLWithPath: path).lastPathComponent)' not found")
    }
    return try TernModel(contentsOf: URL(fileURLWithPath: path))
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Formats metrics Keras style: `accuracy: 0.9512 - loss: 0.1634`.
func formatMetrics(_ metrics: [(String, Double)]) -> String {
    metrics.map { "\($0.0): \(String(format: "%.4f", $0.1))" }.joined(separator: " - ")
}

/// Sorts metric names like Keras' progress lines: training metrics
/// alphabetically, then validation ones.
func orderedMetrics(_ metrics: [String: Double]) -> [(String, Double)] {
    metrics.sorted { a, b in
        let av = a.key.hasPrefix("val_"), bv = b.key.hasPrefix("val_")
        return av == bv ? a.key < b.key : !av
    }.map { ($0.key, $0.value) }
}
