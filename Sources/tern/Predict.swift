import ArgumentParser
import Foundation
import TernTensor
import TernData
import TernFormats
import TernONNX
import TernServing

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict classes (and probabilities) for samples.",
        discussion: "Example: tern predict mnist.tern --range 0:5 [--json]")

    @Argument(help: "The model artifact.") var model: String
    @OptionGroup var data: DataOptions
    @Option(help: selectionHelp("Samples to predict", .test)) var range = "0:5"
    @Flag(help: "Print the full output vectors as JSON.") var json = false

    @OptionGroup var table: TableOptions
    @Option(help: "ONNX models: the value pixels are divided by before they are fed (float input).") var pixelScale: Float = 255

    func run() throws {
        let model = try readServable(self.model)
        if model.inputs.contains(where: { model.conversion(for: $0.name) == .anyWithMissing }) {
            try predictTable(model)
            return
        }
        // Float inputs get the pixels divided by `--pixel-scale`.
        let samples = try data.load(range, defaultPart: .test)
        let outputs = try model.firstOutput(model.predict(model.checkedInputs(model.imageInputs(samples.images, scale: pixelScale))))
        try printPredictions(outputs, samples)
    }

    /// Classes (argmax) and their outputs, per sample of `--range`.
    func printPredictions(_ outputs: Tensor<Float>, _ samples: LabeledImages) throws {
        let start = try SampleSelection(parsing: range).firstRow
        let width = outputs.count / max(samples.count, 1)
        let values = outputs.scalars
        let labels = samples.labels.scalars
        if json {
            var entries: [[String: Any]] = []
            for i in 0..<samples.count {
                let row = Array(values[(i * width)..<((i + 1) * width)])
                let best = row.indices.max { row[$0] < row[$1] } ?? 0
                entries.append(["sample": start + i, "class": best, "label": Int(labels[i]), "probabilities": row.map(Double.init)])
            }
            let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for i in 0..<samples.count {
            let row = values[(i * width)..<((i + 1) * width)]
            let best = row.indices.max { row[$0] < row[$1] } ?? row.startIndex
            print("sample \(start + i): class \(best - row.startIndex) probability \(String(format: "%.4f", row[best])) (label \(labels[i]))")
        }
    }
}

extension Predict {
    /// Rows `--range` of the CSV: the predicted class label and its
    /// probability, or the predicted value for regression.
    func predictTable(_ model: any ServableModel) throws {
        let all = try table.readTable()
        let range = try RowRange(parsing: self.range)
        guard range.upperBound <= all.rowCount else {
            throw CLIError("--range \(self.range) is past the CSV's \(all.rowCount) rows")
        }
        let rows = all.rows(Array(range.range))
        var inputs: [String: AnyTensor] = [:]
        for input in model.inputs {
            guard let column = rows[input.name] else { continue }
            switch column.values {
            case let .numbers(values):
                inputs[input.name] = .float64(try Tensor(shape: [values.count], scalars: values.map { $0 ?? .nan }))
            case let .strings(values):
                inputs[input.name] = .string(try StringTensor(shape: [values.count], values: values))
            }
        }
        let predicted = try model.predict(model.checkedInputs(inputs))
        let outputs = try model.firstOutput(predicted)
        let width = outputs.count / max(rows.rowCount, 1)
        let values = outputs.scalars
        // A classifier names each row's class in its string output (`label`).
        var labels: [String?]?
        if let name = model.outputs.first(where: { $0.dtype == .string })?.name, case let .string(t)? = predicted[name] {
            labels = t.values
        }
        var entries: [[String: Any]] = []
        for i in 0..<rows.rowCount {
            let row = Array(values[(i * width)..<((i + 1) * width)])
            var entry: [String: Any] = ["row": range.lowerBound + i]
            if let labels {
                // The probability of the class named: a sigmoid's p or 1 - p, a softmax's largest.
                let probability = width == 1 ? max(row[0], 1 - row[0]) : row.max() ?? 0
                entry["label"] = labels[i] ?? ""
                entry["probability"] = Double(probability)
                entry["probabilities"] = row.map(Double.init)
            } else {
                entry["value"] = Double(row[0])
            }
            entries.append(entry)
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for e in entries {
            if let label = e["label"] as? String {
                print("row \(e["row"] ?? 0): \(label) probability \(String(format: "%.4f", e["probability"] as? Double ?? 0))")
            } else {
                print("row \(e["row"] ?? 0): \(String(format: "%.4f", e["value"] as? Double ?? 0))")
            }
        }
    }
}
