import ArgumentParser
import Foundation

@main
struct Tern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "Train, evaluate, inspect and serve neural networks.",
        subcommands: [Train.self, Evaluate.self, Predict.self, Inspect.self, Bench.self, Worker.self]
    )

    /// Parses like ArgumentParser, but reports failures of the command itself
    /// as one line on standard error with exit code 1.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
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
