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
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw SafeTensorsError.invalidJSON(reason: error.reason, offset: error.offset)
        }
        guard case let .object(members) = json else { throw SafeTensorsError.headerNotObject(found: json.kind) }

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
            throw SafeTensorsError.invalidMetadata(key: nil, reason: "expected an object, found \(value.kind)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw SafeTensorsError.invalidMetadata(key: key, reason: "expected a string value, found \(value.kind)")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.invalidMetadata(key: key, reason: "the key occurs more than once")
            }
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue) throws -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(tensor: name, reason: reason) }
        guard case let .object(fields) = value else { throw invalid("expected an object, found \(value.kind)") }
        var dtypeName: String?
        var shapeValues: [JSONValue]?
        var offsetValues: [JSONValue]?
        var seen = Set<String>()
        for (key, field) in fields {
            guard seen.insert(key).inserted else { throw invalid("field '\(key)' occurs more than once") }
            switch (key, field) {
            case let ("dtype", .string(s)): dtypeName = s
            case let ("shape", .array(a)): shapeValues = a
            case let ("data_offsets", .array(a)): offsetValues = a
            case ("dtype", _): throw invalid("'dtype' must be a string, found \(field.kind)")
            case ("shape", _), ("data_offsets", _): throw invalid("'\(key)' must be an array, found \(field.kind)")
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

    /// A JSON number written as plain decimal digits, fitting in an `Int`.
    private static func nonNegativeInteger(_ value: JSONValue, what: String, tensor: String) throws -> Int {
        guard case let .number(text) = value else {
            throw SafeTensorsError.invalidEntry(tensor: tensor, reason: "\(what) must be a number, found \(value.kind)")
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
