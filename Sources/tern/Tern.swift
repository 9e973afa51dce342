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

    /// Parses like ArgumentParser (help on standard output with exit code 0,
    /// usage errors with their usage and exit code 64), but reports failures
    /// of the command itself as one line, `error: ...`, with exit code 1.
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
        } catch where isArgumentParserError(error) {
            // `tern help VERB` runs a help command that throws ArgumentParser's
            // help request; ExitCode and CleanExit end the same way.
            exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("error: \(oneLine(error))\n".utf8))
            Foundation.exit(1)
        }
    }

    /// Whether ArgumentParser threw `error` (a help request, a usage error,
    /// an exit code), which it prints and exits with itself.
    static func isArgumentParserError(_ error: any Error) -> Bool {
        error is ExitCode || error is CleanExit || error is ValidationError
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

/// The user-facing message of an error, on one line.
func oneLine(_ error: any Error) -> String {
    String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}
