/// A strict RFC 8259 parser: no comments, no trailing commas, no NaN or
/// Infinity literals, no duplicate object keys, valid UTF-8 strings, and a
/// nesting limit checked as it descends (so a hostile document cannot
/// exhaust the stack).
///
/// Numbers become ``JSONValue/int(_:)`` when written as integers that fit
/// in 64 bits, ``JSONValue/double(_:)`` otherwise, converted without a
/// `String` per number (``DecimalParsing``). An array of numbers only is
/// ``JSONValue/numbers(_:)``: its digits are checked here and converted
/// when the caller asks, to the type it needs (``JSONNumbers``).
public struct JSONParser {
    private let p: UnsafePointer<UInt8>
    private let end: Int
    /// The document, kept by number lists that convert later.
    private let source: [UInt8]
    private let maxDepth: Int
    private var index = 0
    private var depth = 0

    /// Parses one JSON document.
    /// - Throws: ``JSONParseError``.
    public static func parse(_ bytes: [UInt8], maxDepth: Int) throws -> JSONValue {
        try run(bytes, maxDepth: maxDepth) { (parser) throws(JSONParseError) in try parser.parseValue() }
    }

    /// A document's top level with object members in document order,
    /// duplicates kept, for formats that must report them (nested objects
    /// still reject duplicate keys: ``JSONParseError/path`` says where).
    public enum TopLevel: Sendable {
        case object([(key: String, value: JSONValue)])
        /// Any value that is not an object.
        case other(JSONValue)
    }

    /// Parses one JSON document, keeping the order and duplicates of its
    /// top-level object's members.
    /// - Throws: ``JSONParseError``.
    public static func parseTopLevel(_ bytes: [UInt8], maxDepth: Int) throws -> TopLevel {
        try run(bytes, maxDepth: maxDepth) { (parser) throws(JSONParseError) -> TopLevel in
            guard parser.index < parser.end, parser.p[parser.index] == UInt8(ascii: "{") else {
                return .other(try parser.parseValue())
            }
            var members: [(key: String, value: JSONValue)] = []
            try parser.parseMembers { key, value, _ in members.append((key, value)) }
            return .object(members)
        }
    }

    private static func run<T>(_ bytes: [UInt8], maxDepth: Int,
                               _ body: (inout JSONParser) throws(JSONParseError) -> T) throws(JSONParseError) -> T {
        guard !bytes.isEmpty else { throw JSONParseError(reason: .malformed("unexpected end of input"), offset: 0) }
        let result: Result<T, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(p: buffer.baseAddress!, end: buffer.count, source: bytes, maxDepth: maxDepth)
            do throws(JSONParseError) {
                parser.skipWhitespace()
                let value = try body(&parser)
                parser.skipWhitespace()
                guard parser.index == parser.end else { throw parser.error("unexpected text after the JSON value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private init(p: UnsafePointer<UInt8>, end: Int, source: [UInt8], maxDepth: Int) {
        self.p = p
        self.end = end
        self.source = source
        self.maxDepth = maxDepth
    }

    private func error(_ what: String) -> JSONParseError {
        JSONParseError(reason: .malformed(what), offset: index)
    }

    private mutating func skipWhitespace() {
        while index < end {
            let c = p[index]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            index += 1
        }
    }

    private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in text {
            guard index < end, p[index] == byte else { throw error("invalid literal") }
            index += 1
        }
        return value
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < end else { throw error("unexpected end of input") }
        switch p[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func descend() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw JSONParseError(reason: .tooDeep(maxDepth), offset: index) }
    }

    /// Checks the number at `index` and moves past it.
    /// - Returns: where it starts.
    private mutating func skipNumber() throws(JSONParseError) -> Int {
        let start = index
        let stop = DecimalParsing.tokenEnd(p, from: index, to: end)
        guard stop >= 0 else {
            index = -stop - 1
            throw error("invalid number")
        }
        index = stop
        return start
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = try skipNumber()
        var stop = start
        let parts = DecimalParsing.parts(p, from: start, to: end, end: &stop)
        if let i = DecimalParsing.integerLiteral(parts) { return .int(i) }
        return .double(DecimalParsing.double(parts, p, start, stop))
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try descend()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < end, p[index] == UInt8(ascii: "]") { index += 1; return .numbers([]) }
        // Numbers only so far: where each starts (or, for a document too
        // large for 32-bit offsets, the doubles).
        let offsetsFit = end <= Int(UInt32.max)
        var starts: [UInt32] = []
        var doubles: [Double] = []
        var values: [JSONValue]? = nil
        var count = 0
        while true {
            skipWhitespace()
            guard index < end else { throw error("unexpected end of input") }
            let c = p[index]
            if values == nil, c == UInt8(ascii: "-") || c &- UInt8(ascii: "0") < 10 {
                let start = try skipNumber()
                if offsetsFit {
                    starts.append(UInt32(truncatingIfNeeded: start))
                } else {
                    doubles.append(DecimalParsing.double(p, from: start, to: end))
                }
            } else {
                if values == nil {
                    values = offsetsFit
                        ? starts.map { .double(DecimalParsing.double(p, from: Int($0), to: end)) }
                        : doubles.map { .double($0) }
                }
                let value: JSONValue
                do { value = try parseValue() } catch { throw error.inside(.index(count)) }
                values!.append(value)
            }
            count += 1
            skipWhitespace()
            guard index < end else { throw error("unterminated list") }
            let separator = p[index]
            index += 1
            if separator == UInt8(ascii: "]") { break }
            guard separator == UInt8(ascii: ",") else { index -= 1; throw error("expected ',' or ']'") }
        }
        if let values { return .array(values) }
        return .numbers(offsetsFit ? JSONNumbers(source: source, starts: starts) : JSONNumbers(doubles))
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        try parseMembers { key, value, offset throws(JSONParseError) in
            guard members.updateValue(value, forKey: key) == nil else {
                throw JSONParseError(reason: .duplicateKey(key), offset: offset)
            }
        }
        return .object(members)
    }

    /// Reads an object's members in order (`index` at its `{`), passing
    /// each with the offset just past its value.
    private mutating func parseMembers(
        _ add: (String, JSONValue, Int) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        try descend()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < end, p[index] == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard index < end, p[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard index < end, p[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value: JSONValue
            do { value = try parseValue() } catch { throw error.inside(.key(key)) }
            try add(key, value, index)
            skipWhitespace()
            guard index < end else { throw error("unterminated object") }
            let separator = p[index]
            index += 1
            if separator == UInt8(ascii: "}") { return }
            guard separator == UInt8(ascii: ",") else { index -= 1; throw error("expected ',' or '}'") }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Most strings have no escapes: validate the bytes in place.
        while index < end {
            let c = p[index]
            if c == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(start: p + start, count: index - start), as: UTF8.self)
                index += 1
                guard let text else { throw error("string is not valid UTF-8") }
                return text
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            index += 1
        }
        var out = Array(UnsafeBufferPointer(start: p + start, count: index - start))
        while true {
            guard index < end else { throw error("unterminated string") }
            let c = p[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out)
            case 0..<0x20:
                index -= 1
                throw error("control character in a string")
            default:
                out.append(c)
            }
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONParseError) {
        guard index < end else { throw error("unterminated string") }
        let c = p[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard index + 1 < end, p[index] == UInt8(ascii: "\\"), p[index + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired surrogate")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("unpaired surrogate")
            }
            guard let u = Unicode.Scalar(scalar) else { throw error("invalid escape") }
            out.append(contentsOf: UTF8.encode(u)!)
        default:
            throw error("invalid escape")
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= end else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = p[index]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
