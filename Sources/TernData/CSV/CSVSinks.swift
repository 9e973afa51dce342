/// The first pass: header names, typed columns, skipped records.
struct TableSink: CSVRecordSink {
    let options: CSVOptions
    let missing: MissingTokens
    var names: [String]?
    var builders: [ColumnBuilder] = []
    var rows = 0
    var skipped: [Int] = []

    init(options: CSVOptions) {
        self.options = options
        missing = MissingTokens(options.missingTokens)
    }

    mutating func record(_ record: CSVRecord) throws {
        if names == nil {
            if options.hasHeader {
                names = try Self.headerNames(record)
                builders = Array(repeating: ColumnBuilder(), count: record.count)
                return
            }
            names = (1...record.count).map { "column_\($0)" }
            builders = Array(repeating: ColumnBuilder(), count: record.count)
        }
        guard record.count == builders.count else {
            if options.malformedRows == .skip {
                skipped.append(record.line)
                return
            }
            throw CSVError.wrongFieldCount(line: record.line, expected: builders.count, found: record.count)
        }
        record.withFields { index, field in
            builders[index].append(field, missing: missing.contains(field))
        }
        rows += 1
    }

    /// Header names must be non-empty and unique (no renaming: a model's
    /// features are addressed by name, so an ambiguous header is an error).
    static func headerNames(_ record: CSVRecord) throws -> [String] {
        var first: [String: Int] = [:]
        var names: [String] = []
        for index in 0..<record.count {
            let name = record.string(index)
            guard !name.isEmpty else { throw CSVError.emptyColumnName(column: index + 1) }
            if let earlier = first[name] {
                throw CSVError.duplicateColumnName(name, column: index + 1, firstColumn: earlier + 1)
            }
            first[name] = index
            names.append(name)
        }
        return names
    }
}

/// The second pass: the strings of columns that turned out categorical
/// after numbers had been stored for them.
struct DeferredSink: CSVRecordSink {
    let hasHeader: Bool
    let fieldCount: Int
    let missing: MissingTokens
    /// Column index → slot in `values`, or -1.
    let slots: [Int]
    var values: [[String?]]
    private var seenFirst = false

    init(options: CSVOptions, fieldCount: Int, columns: [Int]) {
        hasHeader = options.hasHeader
        self.fieldCount = fieldCount
        missing = MissingTokens(options.missingTokens)
        var slots = Array(repeating: -1, count: fieldCount)
        for (slot, column) in columns.enumerated() { slots[column] = slot }
        self.slots = slots
        values = Array(repeating: [], count: columns.count)
    }

    mutating func record(_ record: CSVRecord) throws {
        if hasHeader && !seenFirst {
            seenFirst = true
            return
        }
        guard record.count == fieldCount else { return }
        record.withFields { index, field in
            let slot = slots[index]
            guard slot >= 0 else { return }
            values[slot].append(missing.contains(field) ? nil : String(decoding: field, as: UTF8.self))
        }
    }
}
