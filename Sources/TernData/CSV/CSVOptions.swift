/// How ``CSVReader`` reads a file.
public struct CSVOptions: Sendable, Equatable {
    /// What to do with a record whose field count differs from the header's.
    public enum MalformedRows: String, Sendable, Equatable {
        /// Stop with ``CSVError/wrongFieldCount(line:expected:found:)``.
        case fail
        /// Leave the record out and list its line in ``CSVReport/skippedRows``.
        case skip
    }

    /// The field separator, one ASCII byte (`,` by default; `;` and tab are common).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Field texts that mean "missing", compared after trimming unquoted fields.
    public var missingTokens: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]
    /// What to do with records of the wrong length.
    public var malformedRows: MalformedRows = .fail
    /// Whether the first record names the columns. Without a header the
    /// columns are named `column_1`, `column_2`, ...
    public var hasHeader = true
    /// The most fields a record may have.
    public var maxColumns = 10_000
    /// The most bytes one field may hold (a guard against a stray quote
    /// swallowing the rest of a large file).
    public var maxFieldBytes = 1 << 20
    /// How many bytes are read (or, for ``CSVReader/parse(_:options:)``,
    /// handed to the parser) at a time. Memory use beyond the table is about
    /// this much plus one record.
    public var chunkSize = 1 << 20

    public init(delimiter: UInt8 = UInt8(ascii: ","),
                missingTokens: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"],
                malformedRows: MalformedRows = .fail, hasHeader: Bool = true) {
        self.delimiter = delimiter
        self.missingTokens = missingTokens
        self.malformedRows = malformedRows
        self.hasHeader = hasHeader
    }
}

/// What ``CSVReader`` found besides the table.
public struct CSVReport: Sendable, Equatable, Codable {
    /// Data rows in the table (the header and skipped records not counted).
    public var rows: Int
    /// The 1-based lines where skipped malformed records start.
    public var skippedRows: [Int]
    /// The number of columns.
    public var columns: Int

    public init(rows: Int, skippedRows: [Int], columns: Int) {
        self.rows = rows
        self.skippedRows = skippedRows
        self.columns = columns
    }
}
