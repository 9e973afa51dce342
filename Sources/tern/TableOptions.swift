import ArgumentParser
import Foundation
import TernData
import TernFormats

/// `--csv FILE` with the held-out split of a table model: the rows are split
/// by `--split-seed` (stratified by the target for classes), so `train`,
/// `evaluate` and `predict` see the same held-out rows.
struct TableOptions: ParsableArguments {
    @Option(help: "A CSV file (table models).") var csv: String?
    @Option(name: .customLong("test-fraction"), help: "Fraction of rows held out for validation/evaluation.") var testFraction = 0.2
    @Option(name: .customLong("split-seed"), help: "Seed of the held-out split.") var splitSeed: UInt64 = 1
    @Option(help: "CSV field delimiter.") var delimiter = ","

    var isSet: Bool { csv != nil }

    func readTable() throws -> Table {
        guard let csv else { throw CLIError("this is a table model: give --csv FILE") }
        guard delimiter.utf8.count == 1, let d = delimiter.utf8.first else { throw CLIError("--delimiter must be one character") }
        guard FileManager.default.fileExists(atPath: csv) else {
            throw CLIError("CSV file '\(URL(fileURLWithPath: csv).lastPathComponent)' not found")
        }
        var options = CSVOptions()
        options.delimiter = d
        return try CSVReader.read(contentsOf: URL(fileURLWithPath: csv), options: options).table
    }

    /// The table and its train / held-out row indices.
    func split(target: String) throws -> (table: Table, train: [Int], test: [Int]) {
        guard testFraction >= 0, testFraction < 1 else { throw CLIError("--test-fraction must be in [0, 1)") }
        let table = try readTable()
        guard table[target] != nil else {
            throw CLIError("the CSV has no target column '\(target)'")
        }
        let (train, test) = try table.heldOutSplit(target: target, testFraction: testFraction, seed: splitSeed)
        return (table, train, test)
    }

    var fileName: String { csv.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "" }
}
