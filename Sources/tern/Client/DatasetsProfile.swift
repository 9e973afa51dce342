import ArgumentParser
import Foundation
import TernData

/// `tern datasets profile FILE`: reads a CSV file locally (no server) and
/// prints one line of statistics per column, or the profile as JSON.
struct DatasetsProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Profile a CSV file: column types, missing values and statistics.",
        discussion: "Example: tern datasets profile titanic.csv; tern datasets profile data.csv --delimiter ';'")
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The field separator: one ASCII character, or 'tab'.") var delimiter: String = ","
    @Flag(name: .customLong("skip-malformed"), help: "Skip records with the wrong number of fields instead of failing.")
    var skipMalformed = false
    @Flag(help: "Print the profile as JSON.") var json = false

    func run() throws {
        var options = CSVOptions(delimiter: try Self.delimiterByte(delimiter))
        if skipMalformed { options.malformedRows = .skip }
        let name = URL(fileURLWithPath: file).lastPathComponent
        let table: Table, report: CSVReport
        do {
            (table, report) = try CSVReader.read(contentsOf: URL(fileURLWithPath: file), options: options)
        } catch let error as CSVError {
            switch error {
            case .fileNotFound, .unreadable: throw CLIError(error.description)
            default: throw CLIError("\(name): \(error.description)")
            }
        }
        let result = profile(table)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print(result.render())
        if !report.skippedRows.isEmpty {
            let lines = report.skippedRows.prefix(10).map(String.init).joined(separator: ", ")
            print("skipped \(report.skippedRows.count) malformed records (lines \(lines)\(report.skippedRows.count > 10 ? ", ..." : ""))")
        }
    }

    static func delimiterByte(_ text: String) throws -> UInt8 {
        switch text {
        case "tab", "\\t", "\t": return UInt8(ascii: "\t")
        default:
            guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80 else {
                throw CLIError("--delimiter must be one ASCII character (or 'tab'), got '\(text)'")
            }
            return byte
        }
    }
}
