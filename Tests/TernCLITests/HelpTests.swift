import Foundation
import Testing
import TernTesting

/// `tern`, `tern --help`, `tern help VERB` and `tern VERB --help` print
/// ArgumentParser's help (exit 0, standard output); a usage error prints
/// its message and usage (exit 64); a failure of the command itself is one
/// line, `error: ...`, with exit 1.
@Suite struct HelpTests {
    /// Every command path, found by walking the SUBCOMMANDS sections of
    /// the help texts, so a new verb is covered without editing this test.
    static func commandPaths() throws -> [[String]] {
        var paths: [[String]] = [[]]
        var index = 0
        while index < paths.count {
            let path = paths[index]
            index += 1
            let help = try CLI.run(path + ["--help"])
            guard let section = help.stdout.range(of: "SUBCOMMANDS:\n") else { continue }
            for line in help.stdout[section.upperBound...].split(separator: "\n") {
                // Subcommand names sit at two spaces; wrapped abstracts deeper.
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                      name != "See" else { continue }
                paths.append(path + [String(name.split(separator: ",").first ?? name)])
            }
        }
        return paths
    }

    @Test func everyVerbPrintsItsHelp() throws {
        let paths = try Self.commandPaths()
        // The top level, each verb, and the groups' subcommands.
        for verb in ["train", "evaluate", "predict", "inspect", "export", "serve", "deploy", "infer", "worker"] {
            #expect(paths.contains([verb]), "\(verb) is missing from tern --help")
        }
        for sub in [["bench", "train"], ["models", "alias"], ["datasets", "upload"], ["jobs", "submit"], ["keys", "create"]] {
            #expect(paths.contains(sub), "\(sub) is missing")
        }
        for path in paths {
            let help = try CLI.run(path + ["--help"])
            let command = (["tern"] + path).joined(separator: " ")
            #expect(help.status == 0, "\(command) --help: exit \(help.status), \(help.stderr)")
            #expect(help.stdout.contains("USAGE: \(command)"), "\(command) --help printed: \(help.stdout.prefix(200))")
            #expect(help.stdout.contains("OVERVIEW:") || path.isEmpty == false, "\(command)")
            #expect(!help.stdout.contains("CommandError") && !help.stderr.contains("CommandError"))
            #expect(help.stderr.isEmpty, "\(command) --help wrote to stderr: \(help.stderr)")
            let viaHelp = try CLI.run(["help"] + path)
            #expect(viaHelp.status == 0 && viaHelp.stdout.contains("USAGE: \(command)"), "tern help \(path): \(viaHelp.stdout.prefix(200))")
        }
    }

    @Test func noArgumentsPrintsTheOverview() throws {
        let bare = try CLI.run([])
        #expect(bare.status == 0)
        #expect(bare.stdout.contains("USAGE: tern <subcommand>"))
        #expect(bare.stdout.contains("SUBCOMMANDS:"))
    }

    @Test func usageErrorsExitWith64AndShowTheUsage() throws {
        for path in try Self.commandPaths() where !path.isEmpty {
            let r = try CLI.run(path + ["--no-such-option"])
            let command = (["tern"] + path).joined(separator: " ")
            #expect(r.status == 64, "\(command) --no-such-option: exit \(r.status)")
            #expect(r.stderr.contains("Error:"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("Usage: \(command)") || r.stderr.contains("USAGE: \(command)"), "\(command): \(r.stderr)")
        }
        let unknownVerb = try CLI.run(["trian"])
        #expect(unknownVerb.status == 64)
        #expect(unknownVerb.stderr.contains("trian"))
    }

    @Test func runtimeFailuresAreOneLineWithExit1() throws {
        let r = try CLI.run(["evaluate", "no-such-model.tern"], in: FileManager.default.temporaryDirectory)
        #expect(r.status == 1)
        #expect(r.stderr == "error: model file 'no-such-model.tern' not found\n")
    }
}
