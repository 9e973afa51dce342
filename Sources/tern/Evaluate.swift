import ArgumentParser
import Foundation
import TernFormats

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's loss and metrics on labelled data.",
        discussion: "Example: tern evaluate mnist.tern --range 8000:10000")

    @Argument(help: "The model artifact.") var model: String
    @OptionGroup var data: DataOptions
    @Option(help: "Rows to evaluate on, start:end.") var range = "8000:10000"
    @OptionGroup var table: TableOptions

    func run() throws {
        let model = try loadModel(self.model)
        let metrics: [String: Double]
        if model.tabular != nil {
            // The held-out rows of the same split as `tern train` (all rows with --test-fraction 0).
            let (rows, train, test) = try table.split(target: model.spec.input.target ?? "")
            metrics = try model.evaluate(table: rows.rows(test.isEmpty ? train : test))
        } else {
            metrics = try model.evaluate(try rows(try data.load(), range))
        }
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            print("\(name): \(String(format: "%.4f", value))")
        }
    }
}
