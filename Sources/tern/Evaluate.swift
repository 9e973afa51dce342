import ArgumentParser
import Foundation
import TernFormats
import TernTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's loss and metrics on labelled data.",
        discussion: "Examples: tern evaluate mnist.tern  (the 10,000 test images); tern evaluate mnist.tern --range test:8000:10000")

    @Argument(help: "The model artifact.") var model: String
    @OptionGroup var data: DataOptions
    @Option(help: selectionHelp("Samples to evaluate on", .test)) var range = "test"
    @OptionGroup var table: TableOptions

    func run() throws {
        let model = try loadModel(self.model)
        let metrics: [String: Double]
        if model.tabular != nil {
            // The held-out rows of the same split as `tern train` (all rows with --test-fraction 0).
            let (rows, train, test) = try table.split(target: model.spec.input.target ?? "")
            metrics = try model.evaluate(table: rows.rows(test.isEmpty ? train : test))
        } else {
            metrics = try model.evaluate(try data.load(range, defaultPart: .test))
        }
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            print("\(name): \(String(format: "%.4f", value))")
        }
    }
}
