/// The fields of one CSV record: their bytes back to back, with end offsets.
struct CSVRecord {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    /// The 1-based line where the record starts.
    var line = 1

    var count: Int { ends.count }

    /// Calls `body` with each field's bytes in turn.
    func withFields(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { all in
            var start = 0
            for (index, end) in ends.enumerated() {
                try body(index, UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    func string(_ index: Int) -> String {
        let start = index == 0 ? 0 : ends[index - 1]
        return String(decoding: bytes[start..<ends[index]], as: UTF8.self)
    }
}

/// Receives the records of a CSV stream.
protocol CSVRecordSink {
    mutating func record(_ record: CSVRecord) throws
}

/// An RFC 4180 state machine fed with chunks of bytes of any size.
///
/// - Fields are separated by the delimiter; records by LF, CRLF or a lone CR.
/// - A field starting with `"` is quoted: it may hold delimiters, line
///   breaks and doubled quotes (`""` → `"`). Spaces and tabs after the
///   closing quote are ignored; any other byte after it is kept literally
///   (as Python's `csv` module does).
/// - A `"` inside an unquoted field is an ordinary byte.
/// - Leading spaces and tabs of every field, and trailing ones of unquoted
///   fields, are dropped (unless the delimiter is itself a space or tab).
/// - Blank lines (empty or only spaces and tabs) are skipped.
/// - A UTF-8 byte order mark at the start is dropped; every field must be
///   valid UTF-8.
struct CSVTokenizer {
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterQuoted }

    let delimiter: UInt8
    let maxColumns: Int
    let maxFieldBytes: Int
    private let trimsBlanks: Bool

    private var state = State.fieldStart
    private var record = CSVRecord()
    private var line = 1
    private var fieldStart = 0
    private var fieldLine = 1
    private var fieldQuoted = false
    private var highBits: UInt8 = 0
    private var inRecord = false
    private var lastWasCR = false
    private var bomMatched = 0
    private var bomDone = false

    private static let quote = UInt8(ascii: "\"")
    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    init(delimiter: UInt8, maxColumns: Int, maxFieldBytes: Int) {
        self.delimiter = delimiter
        self.maxColumns = maxColumns
        self.maxFieldBytes = maxFieldBytes
        trimsBlanks = delimiter != Self.space && delimiter != Self.tab
    }

    /// Consumes a chunk, handing every completed record to `sink`.
    mutating func feed<S: CSVRecordSink>(_ chunk: UnsafeBufferPointer<UInt8>, into sink: inout S) throws {
        var i = 0
        while !bomDone && i < chunk.count {
            if chunk[i] == Self.bom[bomMatched] {
                bomMatched += 1
                i += 1
                if bomMatched == Self.bom.count { bomDone = true }
            } else {
                try replayPartialBOM(into: &sink)
            }
        }
        while i < chunk.count {
            try consume(chunk[i], into: &sink)
            i += 1
        }
    }

    /// Ends the stream: flushes the last record (which needs no line break).
    mutating func finish<S: CSVRecordSink>(into sink: inout S) throws {
        if !bomDone { try replayPartialBOM(into: &sink) }
        switch state {
        case .quoted:
            throw CSVError.unterminatedQuote(line: fieldLine)
        case .fieldStart where record.ends.isEmpty && !inRecord:
            return
        default:
            try endRecord(into: &sink)
        }
    }

    private mutating func replayPartialBOM<S: CSVRecordSink>(into sink: inout S) throws {
        bomDone = true
        for byte in Self.bom.prefix(bomMatched) { try consume(byte, into: &sink) }
    }

    @inline(__always)
    private mutating func consume<S: CSVRecordSink>(_ byte: UInt8, into sink: inout S) throws {
        let afterCR = lastWasCR
        lastWasCR = byte == Self.cr
        if byte == Self.lf && afterCR {
            // The LF of a CRLF: the CR ended the record (or, inside quotes,
            // counted the line); inside quotes the pair is kept.
            if state == .quoted { try append(byte) }
            return
        }
        let isBreak = byte == Self.lf || byte == Self.cr
        switch state {
        case .fieldStart:
            if byte == delimiter {
                inRecord = true
                try endField()
            } else if isBreak {
                try endRecord(into: &sink)
                line += 1
                record.line = line
            } else if trimsBlanks && (byte == Self.space || byte == Self.tab) {
                inRecord = true
            } else {
                inRecord = true
                fieldLine = line
                if byte == Self.quote {
                    fieldQuoted = true
                    state = .quoted
                } else {
                    try append(byte)
                    state = .unquoted
                }
            }
        case .unquoted:
            if byte == delimiter {
                try endField()
            } else if isBreak {
                try endRecord(into: &sink)
                line += 1
                record.line = line
            } else {
                try append(byte)
            }
        case .quoted:
            if byte == Self.quote {
                state = .quoteInQuoted
            } else {
                if isBreak { line += 1 }
                try append(byte)
            }
        case .quoteInQuoted:
            if byte == Self.quote {
                try append(byte)
                state = .quoted
            } else {
                state = .afterQuoted
                try consume(afterQuote: byte, isBreak: isBreak, into: &sink)
            }
        case .afterQuoted:
            try consume(afterQuote: byte, isBreak: isBreak, into: &sink)
        }
    }

    private mutating func consume<S: CSVRecordSink>(afterQuote byte: UInt8, isBreak: Bool, into sink: inout S) throws {
        if byte == delimiter {
            try endField()
        } else if isBreak {
            try endRecord(into: &sink)
            line += 1
            record.line = line
        } else if byte == Self.space || byte == Self.tab {
            return
        } else {
            try append(byte)
            state = .unquoted
        }
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) throws {
        highBits |= byte
        record.bytes.append(byte)
        if record.bytes.count - fieldStart > maxFieldBytes {
            throw CSVError.fieldTooLong(line: fieldLine, limit: maxFieldBytes)
        }
    }

    private mutating func endField() throws {
        if !fieldQuoted && trimsBlanks {
            while record.bytes.count > fieldStart, let last = record.bytes.last, last == Self.space || last == Self.tab {
                record.bytes.removeLast()
            }
        }
        if highBits & 0x80 != 0 {
            guard String(validating: record.bytes[fieldStart...], as: UTF8.self) != nil else {
                throw CSVError.invalidUTF8(line: fieldLine)
            }
        }
        record.ends.append(record.bytes.count)
        if record.ends.count > maxColumns { throw CSVError.tooManyColumns(line: record.line, limit: maxColumns) }
        fieldStart = record.bytes.count
        fieldQuoted = false
        highBits = 0
        state = .fieldStart
    }

    /// Ends the current field and record; a blank line is dropped.
    private mutating func endRecord<S: CSVRecordSink>(into sink: inout S) throws {
        let wasQuoted = fieldQuoted
        try endField()
        if !(record.ends.count == 1 && record.bytes.isEmpty && !wasQuoted) {
            try sink.record(record)
        }
        record.bytes.removeAll(keepingCapacity: true)
        record.ends.removeAll(keepingCapacity: true)
        fieldStart = 0
        inRecord = false
    }
}
