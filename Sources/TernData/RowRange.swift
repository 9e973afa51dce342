/// A half-open range of sample rows, written `start:end` on command lines
/// (e.g. `0:8000` is the first 8,000 rows).
public struct RowRange: Sendable, Hashable, CustomStringConvertible {
    public var range: Range<Int>

    public init(_ range: Range<Int>) { self.range = range }

    /// Parses `start:end` (decimal digits only, surrounding whitespace allowed).
    /// - Throws: ``DatasetError/malformedRange(_:reason:)`` when a bound is
    ///   missing, not a non-negative integer, too large, or when `end` is not
    ///   greater than `start`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw DatasetError.malformedRange(text, reason: "expected exactly one ':'")
        }
        let start = try Self.bound(parts[0], name: "start", text: text)
        let end = try Self.bound(parts[1], name: "end", text: text)
        guard start < end else {
            throw DatasetError.malformedRange(
                text, reason: start == end ? "the range is empty" : "start \(start) is after end \(end)")
        }
        range = start..<end
    }

    public var lowerBound: Int { range.lowerBound }
    public var upperBound: Int { range.upperBound }
    public var count: Int { range.count }

    public var description: String { "\(range.lowerBound):\(range.upperBound)" }

    private static func bound(_ part: Substring, name: String, text: String) throws -> Int {
        guard !part.isEmpty else { throw DatasetError.malformedRange(text, reason: "the \(name) is missing") }
        if part.first == "-" {
            throw DatasetError.malformedRange(text, reason: "the \(name) is negative")
        }
        guard part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw DatasetError.malformedRange(text, reason: "the \(name) '\(part)' is not a whole number")
        }
        guard let value = Int(part) else {
            throw DatasetError.malformedRange(text, reason: "the \(name) '\(part)' is too large")
        }
        return value
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self[...]
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
