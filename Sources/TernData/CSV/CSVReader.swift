import Foundation

/// Reads CSV files (RFC 4180) into a typed ``Table``.
///
/// The input is consumed in chunks of ``CSVOptions/chunkSize`` bytes and the
/// columns are built as records complete: numeric columns hold `Double`s
/// only, and only categorical columns hold strings. See ``CSVTokenizer`` for
/// the accepted syntax and ``ColumnBuilder`` for type inference:
///
/// - **integer**: every non-missing value is `[+-]digits` fitting in 64 bits
///   (stored as `Double`, exact up to 2^53);
/// - **float**: every value is a finite decimal number (`1.5`, `-.5`, `2e-3`);
/// - **boolean**: `true`/`false`, `True`/`False`, `TRUE`/`FALSE`, `yes`/`no`,
///   `Yes`/`No`, `YES`/`NO`, stored as 1/0 (`0`/`1` columns are integers);
/// - **datetime**: ISO 8601 `2024-01-31` or `2024-01-31T12:00:00[.fff][Z|±hh:mm]`
///   (a space may replace the `T`; no zone means UTC), stored as seconds since 1970;
/// - **categorical**: anything else, and columns with no values at all.
///
/// Missing tokens (``CSVOptions/missingTokens``) become `nil` in any column.
/// Header names must be non-empty and unique (``CSVError/emptyColumnName(column:)``,
/// ``CSVError/duplicateColumnName(_:column:firstColumn:)``). A header with no
/// data rows is a valid table of 0 rows.
public enum CSVReader {
    /// Reads and parses the file at `url`, streaming it in chunks.
    /// - Throws: ``CSVError`` (the file is named by its last path component only).
    public static func read(contentsOf url: URL, options: CSVOptions = CSVOptions()) throws -> (table: Table, report: CSVReport) {
        let name = url.lastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CSVError.fileNotFound(name: name)
        }
        guard !isDirectory.boolValue else { throw CSVError.unreadable(name: name, reason: "it is a directory") }
        let chunkSize = max(1, options.chunkSize)
        return try read(options: options, changed: CSVError.unreadable(name: name, reason: "it changed while it was read")) { feed in
            let handle: FileHandle
            do {
                handle = try FileHandle(forReadingFrom: url)
            } catch {
                throw CSVError.unreadable(name: name, reason: "it could not be opened")
            }
            defer { try? handle.close() }
            while true {
                let data: Data?
                do {
                    data = try handle.read(upToCount: chunkSize)
                } catch {
                    throw CSVError.unreadable(name: name, reason: "reading failed")
                }
                guard let data, !data.isEmpty else { return }
                try data.withUnsafeBytes { raw in try feed(raw.bindMemory(to: UInt8.self)) }
            }
        }
    }

    /// Parses CSV bytes held in memory.
    /// - Throws: ``CSVError``.
    public static func parse(_ bytes: [UInt8], options: CSVOptions = CSVOptions()) throws -> (table: Table, report: CSVReport) {
        let chunkSize = max(1, options.chunkSize)
        return try read(options: options, changed: CSVError.empty) { feed in
            try bytes.withUnsafeBufferPointer { all in
                var start = 0
                while start < all.count {
                    let end = min(all.count, start + chunkSize)
                    try feed(UnsafeBufferPointer(rebasing: all[start..<end]))
                    start = end
                }
            }
        }
    }

    /// Runs the passes over the input that `chunks` produces: one, or two
    /// when a column needs its strings collected again.
    private static func read(options: CSVOptions, changed: CSVError,
                             chunks: ((UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void) throws -> (table: Table, report: CSVReport) {
        let d = options.delimiter
        guard d < 0x80, d != UInt8(ascii: "\""), d != UInt8(ascii: "\n"), d != UInt8(ascii: "\r") else {
            throw CSVError.invalidDelimiter(d)
        }
        var sink = TableSink(options: options)
        try pass(options, into: &sink, chunks)
        guard let names = sink.names else { throw CSVError.empty }
        let deferred = sink.builders.indices.filter { sink.builders[$0].isDeferred }
        var strings: [[String?]] = []
        if !deferred.isEmpty {
            var second = DeferredSink(options: options, fieldCount: names.count, columns: deferred)
            try pass(options, into: &second, chunks)
            guard second.values.allSatisfy({ $0.count == sink.rows }) else { throw changed }
            strings = second.values
        }
        var columns: [Column] = []
        columns.reserveCapacity(names.count)
        for (index, name) in names.enumerated() {
            let slot = deferred.firstIndex(of: index)
            columns.append(sink.builders[index].column(name: name, rows: sink.rows, deferredStrings: slot.map { strings[$0] }))
        }
        return (Table(columns: columns), CSVReport(rows: sink.rows, skippedRows: sink.skipped, columns: names.count))
    }

    private static func pass<S: CSVRecordSink>(_ options: CSVOptions, into sink: inout S,
                                               _ chunks: ((UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void) throws {
        var tokenizer = CSVTokenizer(delimiter: options.delimiter, maxColumns: options.maxColumns,
                                     maxFieldBytes: options.maxFieldBytes)
        try chunks { chunk in try tokenizer.feed(chunk, into: &sink) }
        try tokenizer.finish(into: &sink)
    }
}
