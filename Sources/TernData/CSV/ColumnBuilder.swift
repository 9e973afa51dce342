/// Builds one column while the records stream past, inferring its type.
///
/// The first non-missing value picks the narrowest type it parses as
/// (integer, float, boolean, date-time, else categorical); later values may
/// widen integer to float. Numbers are stored as `Double` from the start.
/// A value that fits none of the numeric types seen so far makes the column
/// categorical: its numbers are dropped and its strings are collected by a
/// second pass over the input (``isDeferred``), so no column ever holds its
/// values both as numbers and as strings.
struct ColumnBuilder {
    enum State { case pending, integer, float, boolean, datetime, strings, deferred }

    private(set) var state = State.pending
    private var pendingMissing = 0
    private var numbers: [Double?] = []
    private var strings: [String?] = []

    var isDeferred: Bool { state == .deferred }

    mutating func append(_ f: UnsafeBufferPointer<UInt8>, missing: Bool) {
        switch state {
        case .pending:
            if missing { pendingMissing += 1; return }
            if let v = CSVValues.integer(f) { start(.integer, v) }
            else if let v = CSVValues.float(f) { start(.float, v) }
            else if let v = CSVValues.boolean(f) { start(.boolean, v) }
            else if let v = CSVValues.dateTime(f) { start(.datetime, v) }
            else {
                state = .strings
                strings = Array(repeating: nil, count: pendingMissing)
                strings.append(String(decoding: f, as: UTF8.self))
            }
        case .integer:
            if missing { numbers.append(nil) }
            else if let v = CSVValues.integer(f) { numbers.append(v) }
            else if let v = CSVValues.float(f) { state = .float; numbers.append(v) }
            else { defer_() }
        case .float:
            if missing { numbers.append(nil) } else if let v = CSVValues.float(f) { numbers.append(v) } else { defer_() }
        case .boolean:
            if missing { numbers.append(nil) } else if let v = CSVValues.boolean(f) { numbers.append(v) } else { defer_() }
        case .datetime:
            if missing { numbers.append(nil) } else if let v = CSVValues.dateTime(f) { numbers.append(v) } else { defer_() }
        case .strings:
            strings.append(missing ? nil : String(decoding: f, as: UTF8.self))
        case .deferred:
            return
        }
    }

    private mutating func start(_ type: State, _ value: Double) {
        state = type
        numbers = Array(repeating: nil, count: pendingMissing)
        numbers.append(value)
    }

    private mutating func defer_() {
        state = .deferred
        numbers = []
    }

    /// The finished column; `deferredStrings` are the second pass's values
    /// for a deferred column.
    func column(name: String, rows: Int, deferredStrings: [String?]? = nil) -> Column {
        switch state {
        case .pending:
            return Column(name: name, type: .categorical, values: .strings(Array(repeating: nil, count: rows)))
        case .integer: return Column(name: name, type: .integer, values: .numbers(numbers))
        case .float: return Column(name: name, type: .float, values: .numbers(numbers))
        case .boolean: return Column(name: name, type: .boolean, values: .numbers(numbers))
        case .datetime: return Column(name: name, type: .datetime, values: .numbers(numbers))
        case .strings: return Column(name: name, type: .categorical, values: .strings(strings))
        case .deferred: return Column(name: name, type: .categorical, values: .strings(deferredStrings ?? []))
        }
    }
}
