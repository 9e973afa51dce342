import ArgumentParser
import Foundation

@main
struct Tern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "Train, evaluate, register and serve neural networks.",
        subcommands: [
            Train.self, Evaluate.self, Predict.self, Inspect.self, Export.self, Bench.self,
            Serve.self, Keys.self, Models.self, Datasets.self, Jobs.self, Deploy.self, Infer.self, Worker.self,
        ]
    )

    /// Parses like ArgumentParser, but reports failures of the command itself
    /// as one line on standard error with exit code 1.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            FileHandle.standardError.write(Data("error: \(oneLine(error))\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// The user-facing message of an error, on one line.
func oneLine(_ error: any Error) -> String {
    String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}
