/// Errors from reading CSV files (``CSVReader``).
///
/// Messages name the problem and, where there is one, the 1-based line of
/// the file where the offending record or field starts. A file is named by
/// its last path component only, never by its full path.
public enum CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file holds no records (no bytes, or only a byte order mark and blank lines).
    case empty
    /// The delimiter is a quote, a line break or a non-ASCII byte.
    case invalidDelimiter(UInt8)
    /// A header name is empty (1-based column).
    case emptyColumnName(column: Int)
    /// Two header names are equal (1-based columns).
    case duplicateColumnName(String, column: Int, firstColumn: Int)
    /// A record has a different number of fields than the header (or the first record).
    case wrongFieldCount(line: Int, expected: Int, found: Int)
    /// The file ends inside a quoted field that opened on `line`.
    case unterminatedQuote(line: Int)
    /// A field on `line` is not valid UTF-8.
    case invalidUTF8(line: Int)
    /// A record on `line` has more fields than `limit`.
    case tooManyColumns(line: Int, limit: Int)
    /// A field starting on `line` is longer than `limit` bytes.
    case fieldTooLong(line: Int, limit: Int)
    /// No file with this name exists.
    case fileNotFound(name: String)
    /// The file exists but could not be read.
    case unreadable(name: String, reason: String)

    public var description: String {
        switch self {
        case .empty:
            return "the CSV file is empty (it needs at least a header line)"
        case let .invalidDelimiter(byte):
            return "invalid CSV delimiter byte \(byte): use one ASCII character other than a quote or a line break"
        case let .emptyColumnName(column):
            return "line 1: the header has an empty column name (column \(column))"
        case let .duplicateColumnName(name, column, first):
            return "line 1: the header has a duplicate column name '\(name)' (columns \(first) and \(column))"
        case let .wrongFieldCount(line, expected, found):
            return "line \(line): expected \(expected) fields, found \(found)"
        case let .unterminatedQuote(line):
            return "line \(line): a quoted field is not closed before the end of the file"
        case let .invalidUTF8(line):
            return "line \(line): a field is not valid UTF-8 text"
        case let .tooManyColumns(line, limit):
            return "line \(line): more than \(limit) fields in one record"
        case let .fieldTooLong(line, limit):
            return "line \(line): a field is longer than \(limit) bytes (an unclosed quote?)"
        case let .fileNotFound(name):
            return "CSV file '\(name)' not found"
        case let .unreadable(name, reason):
            return "CSV file '\(name)' could not be read: \(reason)"
        }
    }
}
