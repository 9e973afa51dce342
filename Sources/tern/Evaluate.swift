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

    func run() throws {
        let model = try loadModel(self.model)
        let samples = try rows(try data.load(), range)
        let metrics = try model.evaluate(samples)
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            print("\(name): \(String(format: "%.4f", value))")
        }
    }
}
