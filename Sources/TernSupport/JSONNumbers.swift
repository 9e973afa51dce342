/// A JSON array of numbers only (tensor data, shapes), as
/// ``JSONValue/numbers(_:)`` holds it.
///
/// A parsed list keeps the body and where each number starts (4 bytes per
/// element) and converts on demand, straight from the digits to the type
/// the caller needs: ``floats()`` rounds each number to float32 once (not
/// through a double), ``int64s()`` is exact past 2^53. Indexing and
/// iterating give doubles, so the list reads like the `[Double]` it once
/// was; a list built in code stores its doubles.
public struct JSONNumbers: RandomAccessCollection, Sendable, ExpressibleByArrayLiteral {
    /// The elements of a list built from doubles.
    private let values: [Double]
    /// The document of a parsed list, and the offset of each number's first
    /// byte in it.
    private let source: [UInt8]
    private let starts: [UInt32]
    private let isText: Bool

    public init(_ values: [Double]) {
        self.values = values
        source = []
        starts = []
        isText = false
    }

    public init(arrayLiteral elements: Double...) { self.init(elements) }

    init(source: [UInt8], starts: [UInt32]) {
        values = []
        self.source = source
        self.starts = starts
        isText = true
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int { isText ? starts.count : values.count }

    /// The element as the double nearest its digits (±infinity past the
    /// double range).
    public subscript(position: Int) -> Double {
        guard isText else { return values[position] }
        let start = Int(starts[position])
        return source.withUnsafeBufferPointer { DecimalParsing.double($0.baseAddress!, from: start, to: $0.count) }
    }

    /// The number's text as written in the document (nil for a list built
    /// from doubles).
    public func literal(at position: Int) -> String? {
        guard isText else { return nil }
        let start = Int(starts[position])
        return source.withUnsafeBufferPointer { buffer in
            let end = DecimalParsing.tokenEnd(buffer.baseAddress!, from: start, to: buffer.count)
            return String(decoding: buffer[start..<Swift.max(end, start)], as: UTF8.self)
        }
    }

    /// Every element as the nearest double (±infinity past the range, as
    /// indexing gives).
    public func doubles() -> [Double] {
        guard isText else { return values }
        return convert { p, start, limit in DecimalParsing.double(p, from: start, to: limit) }
    }

    /// Every element as the nearest double.
    /// - Throws: ``JSONNumberError`` naming the first element past the
    ///   finite double range.
    public func finiteDoubles() throws(JSONNumberError) -> [Double] {
        let values = doubles()
        if let i = values.firstIndex(where: { !$0.isFinite }) { throw error(i, .notFinite(bits: 64)) }
        return values
    }

    /// Every element rounded once to the nearest float32.
    /// - Throws: ``JSONNumberError`` naming the first element past the
    ///   finite float32 range.
    public func floats() throws(JSONNumberError) -> [Float] {
        let floats = isText
            ? convert { p, start, limit in DecimalParsing.float(p, from: start, to: limit) }
            : values.map { Float($0) }
        if let i = floats.firstIndex(where: { !$0.isFinite }) { throw error(i, .notFinite(bits: 32)) }
        return floats
    }

    /// Every element as an exact 64-bit integer.
    /// - Throws: ``JSONNumberError`` naming the first element that is not
    ///   an integer or does not fit.
    public func int64s() throws(JSONNumberError) -> [Int64] {
        var out = [Int64]()
        out.reserveCapacity(count)
        if !isText {
            for (i, v) in values.enumerated() {
                guard v.rounded(.towardZero) == v else { throw error(i, .notInteger) }
                guard let n = Int64(exactly: v) else { throw error(i, .outOfRange) }
                out.append(n)
            }
        } else {
            try source.withUnsafeBufferPointer { (buffer) throws(JSONNumberError) in
                let p = buffer.baseAddress!
                for (i, start) in starts.enumerated() {
                    guard let n = DecimalParsing.int64(p, from: Int(start), to: buffer.count) else {
                        let d = DecimalParsing.double(p, from: Int(start), to: buffer.count)
                        throw error(i, d.isFinite && d.rounded(.towardZero) == d ? .outOfRange : .notInteger)
                    }
                    out.append(n)
                }
            }
        }
        return out
    }

    private func convert<T>(_ one: (UnsafePointer<UInt8>, Int, Int) -> T) -> [T] {
        source.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            let limit = buffer.count
            return [T](unsafeUninitializedCapacity: starts.count) { out, initialized in
                for (i, start) in starts.enumerated() { out[i] = one(p, Int(start), limit) }
                initialized = starts.count
            }
        }
    }

    private func error(_ index: Int, _ reason: JSONNumberError.Reason) -> JSONNumberError {
        JSONNumberError(index: index, literal: literal(at: index) ?? String(self[index]), reason: reason)
    }
}

extension JSONNumbers: Equatable {
    /// Equal element by element as doubles (however they are stored).
    public static func == (a: JSONNumbers, b: JSONNumbers) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }
}

extension JSONNumbers: CustomStringConvertible {
    public var description: String { doubles().description }
}

/// Why an element of a ``JSONNumbers`` list does not convert.
public struct JSONNumberError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// Past the finite range of a float of this many bits.
        case notFinite(bits: Int)
        case notInteger
        /// An integer outside `Int64`.
        case outOfRange
    }

    /// The element's position in the list.
    public var index: Int
    /// The element as written.
    public var literal: String
    public var reason: Reason

    public init(index: Int, literal: String, reason: Reason) {
        self.index = index
        self.literal = literal
        self.reason = reason
    }

    /// "element 3 (1e39) is not a finite 32-bit float", for a caller to
    /// prefix with the field's name.
    public var description: String {
        let what = "element \(index) (\(literal.prefix(40)))"
        switch reason {
        case let .notFinite(bits): return "\(what) is not a finite \(bits)-bit float"
        case .notInteger: return "\(what) is not an integer"
        case .outOfRange: return "\(what) does not fit in a 64-bit integer"
        }
    }
}
