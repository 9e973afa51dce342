import TernSupport
import TernTensor

/// The validated header of a safetensors file: where each tensor's bytes are,
/// without copying them.
public struct SafeTensorsLayout: Sendable, Equatable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name (its header key).
        public var name: String
        /// The element type.
        public var dtype: DType
        /// The dimensions.
        public var shape: Shape
        /// The tensor's bytes, relative to the start of the data section.
        public var byteRange: Range<Int>
    }

    /// The header length `N` as stored (including padding).
    public var headerByteCount: Int
    /// The data section's position in the file: `8 + N ..< file size`.
    public var dataSection: Range<Int>
    /// The tensors, ordered by their data offsets.
    public var entries: [Entry]
    /// The `__metadata__` strings.
    public var metadata: [String: String]

    /// The most elements one tensor may have (2^31 - 1).
    public static let maxElements = Int(Int32.max)

    /// Reads and validates the header of `bytes`.
    ///
    /// Rejected: a file under 8 bytes; a header length over
    /// ``SafeTensorsFile/maxHeaderBytes`` or past the end; a header that is not
    /// UTF-8 or not a JSON object (trailing spaces allowed); duplicate names;
    /// entries with unknown or missing fields; dtypes other than F32, I32 and
    /// U8; negative, fractional or absurd dimensions or offsets; offsets whose
    /// span differs from shape × dtype size, that leave the data section, or
    /// that overlap or leave gaps (tensors must tile the data section exactly);
    /// metadata that is not an object of strings.
    /// - Throws: ``SafeTensorsError``.
    public static func parse(_ bytes: [UInt8]) throws -> SafeTensorsLayout {
        guard bytes.count >= 8 else { throw SafeTensorsError.fileTooShort(byteCount: bytes.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(SafeTensorsFile.maxHeaderBytes) else {
            throw SafeTensorsError.headerTooLarge(length: length, limit: SafeTensorsFile.maxHeaderBytes)
        }
        let headerLength = Int(length)
        guard headerLength <= bytes.count - 8 else {
            throw SafeTensorsError.headerPastEnd(length: length, available: bytes.count - 8)
        }
        let headerBytes = Array(bytes[8..<8 + headerLength])
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw SafeTensorsError.headerNotUTF8 }
        let members: [(key: String, value: JSONValue)]
        do {
            switch try JSONParser.parseTopLevel(headerBytes, maxDepth: maxJSONDepth) {
            case let .object(topLevel): members = topLevel
            case let .other(value): throw SafeTensorsError.headerNotObject(found: kindName(value))
            }
        } catch let error as JSONParseError {
            throw headerError(error)
        }

        let dataSection = (8 + headerLength)..<bytes.count
        var names = Set<String>()
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            guard names.insert(name).inserted else { throw SafeTensorsError.duplicateName(name) }
            if name == SafeTensorsFile.metadataKey {
                metadata = try parseMetadata(value)
            } else {
                entries.append(try parseEntry(name: name, value))
            }
        }
        try checkTiling(&entries, dataBytes: dataSection.count)
        return SafeTensorsLayout(
            headerByteCount: headerLength, dataSection: dataSection, entries: entries, metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        guard case let .object(members) = value else {
            throw SafeTensorsError.invalidMetadata(key: nil, reason: "expected an object, found \(kindName(value))")
        }
        var metadata: [String: String] = [:]
        // (The parser refuses a key that occurs twice: see headerError.)
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard case let .string(text) = value else {
                throw SafeTensorsError.invalidMetadata(key: key, reason: "expected a string value, found \(kindName(value))")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue) throws -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(tensor: name, reason: reason) }
        guard case let .object(fields) = value else { throw invalid("expected an object, found \(kindName(value))") }
        var dtypeName: String?
        var shapeValues: [(text: String, value: JSONValue)]?
        var offsetValues: [(text: String, value: JSONValue)]?
        for (key, field) in fields.sorted(by: { $0.key < $1.key }) {
            switch (key, field) {
            case let ("dtype", .string(s)): dtypeName = s
            case ("dtype", _): throw invalid("'dtype' must be a string, found \(kindName(field))")
            case ("shape", _), ("data_offsets", _):
                guard let list = numberList(field) else {
                    throw invalid("'\(key)' must be an array, found \(kindName(field))")
                }
                if key == "shape" { shapeValues = list } else { offsetValues = list }
            default: throw invalid("unknown field '\(key)'")
            }
        }
        guard let dtypeName else { throw invalid("missing field 'dtype'") }
        guard let shapeValues else { throw invalid("missing field 'shape'") }
        guard let offsetValues else { throw invalid("missing field 'data_offsets'") }
        guard let dtype = DType(rawValue: dtypeName), dtype != .string else {
            throw SafeTensorsError.unsupportedDType(tensor: name, dtype: dtypeName)
        }
        let dims = try shapeValues.map { try nonNegativeInteger($0, what: "shape dimension", tensor: name) }
        guard offsetValues.count == 2 else {
            throw invalid("'data_offsets' must hold 2 numbers, found \(offsetValues.count)")
        }
        let begin = try nonNegativeInteger(offsetValues[0], what: "data offset", tensor: name)
        let end = try nonNegativeInteger(offsetValues[1], what: "data offset", tensor: name)
        guard begin <= end else { throw invalid("data_offsets [\(begin), \(end)] end before they begin") }

        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else {
                throw invalid("shape \(dims) has more than \(maxElements) elements")
            }
            count = product
        }
        let expected = count * dtype.byteSize
        guard expected == end - begin else {
            throw SafeTensorsError.sizeMismatch(
                tensor: name, dtype: dtypeName, shape: dims, expectedBytes: expected, actualBytes: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: Shape(dims), byteRange: begin..<end)
    }

    /// The nesting the header may use (an object of objects of arrays needs 3).
    private static let maxJSONDepth = 16

    /// A header that does not parse: a key twice in `__metadata__` or in a
    /// tensor's entry is reported there, anything else as invalid JSON.
    private static func headerError(_ error: JSONParseError) -> SafeTensorsError {
        if case let .duplicateKey(key) = error.reason, error.path.count == 1, case let .key(owner) = error.path[0] {
            return owner == SafeTensorsFile.metadataKey
                ? .invalidMetadata(key: key, reason: "the key occurs more than once")
                : .invalidEntry(tensor: owner, reason: "field '\(key)' occurs more than once")
        }
        return .invalidJSON(reason: error.message, offset: error.offset)
    }

    /// A value's kind as the header's messages name it ("an array" where
    /// the server says "a list").
    private static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .numbers, .floats, .array: return "an array"
        default: return value.kind
        }
    }

    /// An array's elements with the text of each number as written.
    private static func numberList(_ value: JSONValue) -> [(text: String, value: JSONValue)]? {
        switch value {
        case let .numbers(list):
            return list.indices.map { i in (list.literal(at: i) ?? String(list[i]), JSONValue.double(list[i])) }
        case let .array(items):
            // Mixed lists: the parser keeps the numbers before the first
            // non-number as doubles, written here as the integers they are.
            return items.map { item in
                switch item {
                case let .int(i): return (String(i), item)
                case let .double(d): return (Int64(exactly: d).map(String.init) ?? String(d), item)
                default: return ("", item)
                }
            }
        default:
            return nil
        }
    }

    /// A JSON number written as plain decimal digits, fitting in an `Int`.
    private static func nonNegativeInteger(_ element: (text: String, value: JSONValue), what: String,
                                           tensor: String) throws -> Int {
        let (text, value) = element
        guard value.number != nil else {
            throw SafeTensorsError.invalidEntry(tensor: tensor, reason: "\(what) must be a number, found \(kindName(value))")
        }
        if text.hasPrefix("-") {
            throw SafeTensorsError.invalidEntry(tensor: tensor, reason: "\(what) \(text) is negative")
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw SafeTensorsError.invalidEntry(tensor: tensor, reason: "\(what) \(text) is not a whole number")
        }
        guard let n = Int(text) else {
            throw SafeTensorsError.invalidEntry(tensor: tensor, reason: "\(what) \(text) is too large")
        }
        return n
    }

    /// Sorts entries by offset and checks they cover `0..<dataBytes` exactly.
    private static func checkTiling(_ entries: inout [Entry], dataBytes: Int) throws {
        for e in entries where e.byteRange.upperBound > dataBytes {
            throw SafeTensorsError.offsetsOutOfBounds(tensor: e.name, end: e.byteRange.upperBound, dataBytes: dataBytes)
        }
        // Stable sort: empty tensors at the same offset keep their header order.
        entries = entries.enumerated().sorted {
            ($0.element.byteRange.lowerBound, $0.element.byteRange.upperBound, $0.offset)
                < ($1.element.byteRange.lowerBound, $1.element.byteRange.upperBound, $1.offset)
        }.map(\.element)
        var cursor = 0
        var previous: String?
        for e in entries {
            if e.byteRange.lowerBound < cursor, let previous {
                throw SafeTensorsError.overlappingTensors(tensor: e.name, previous: previous)
            }
            if e.byteRange.lowerBound > cursor {
                throw SafeTensorsError.gapBeforeTensor(tensor: e.name, bytes: e.byteRange.lowerBound - cursor)
            }
            cursor = e.byteRange.upperBound
            if !e.byteRange.isEmpty { previous = e.name }
        }
        guard cursor == dataBytes else { throw SafeTensorsError.trailingBytes(count: dataBytes - cursor) }
    }
}
