import ArgumentParser
import Foundation
import TernTensor
import TernData
import TernFormats

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict classes (and probabilities) for samples.",
        discussion: "Example: tern predict mnist.tern --range 0:5 [--json]")

    @Argument(help: "The model artifact.") var model: String
    @OptionGroup var data: DataOptions
    @Option(help: "Rows to predict, start:end.") var range = "0:5"
    @Flag(help: "Print the full output vectors as JSON.") var json = false

    func run() throws {
        let model = try loadModel(self.model)
        let samples = try rows(try data.load(), range)
        let start = try rowStart(range)
        let outputs = try model.predict(samples.images)
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

private func rowStart(_ text: String) throws -> Int {
    try RowRange(parsing: text).lowerBound
}
