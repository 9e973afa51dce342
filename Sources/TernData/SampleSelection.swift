import Foundation

/// Which samples of a data set that has a training part and a test part
/// (MNIST's `train-*` and `t10k-*` files, or an IDX dataset uploaded with
/// both): `train`, `test`, `train:0:8000`, `test:8000:10000`, or a bare
/// `start:end` of the part the caller chooses by default.
public struct SampleSelection: Sendable, Hashable, CustomStringConvertible {
    /// The two parts of a data set.
    public enum Part: String, Sendable, Hashable, CaseIterable {
        case train, test

        /// The MNIST file prefix of this part: `train` or `t10k`.
        public var mnistSplit: String { self == .train ? "train" : "t10k" }
    }

    /// The part named in the text; nil for a bare range.
    public var part: Part?
    /// The rows within the part; nil for all of them.
    public var rows: RowRange?

    public init(part: Part?, rows: RowRange?) {
        self.part = part
        self.rows = rows
    }

    /// Parses `train`, `test`, `PART:start:end` or `start:end`.
    /// - Throws: ``DatasetError/malformedRange(_:reason:)`` naming what is wrong.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let head = trimmed.prefix { $0 != ":" }
        if let part = Part(rawValue: String(head)) {
            self.part = part
            let rest = trimmed.dropFirst(head.count)
            rows = rest.isEmpty ? nil : try RowRange(parsing: String(rest.dropFirst()))
        } else if head.first.map({ $0.isLetter }) == true {
            throw DatasetError.malformedRange(text, reason: "expected train, test, train:start:end, test:start:end or start:end")
        } else {
            part = nil
            rows = try RowRange(parsing: trimmed)
        }
    }

    /// The index of the first selected row within its part.
    public var firstRow: Int { rows?.lowerBound ?? 0 }

    /// The part, or `defaultPart` for a bare range.
    public func part(default defaultPart: Part) -> Part { part ?? defaultPart }

    /// The text form, with the part spelled out when given.
    public var description: String {
        switch (part, rows) {
        case let (part?, rows?): "\(part.rawValue):\(rows)"
        case let (part?, nil): part.rawValue
        case let (nil, rows?): rows.description
        case (nil, nil): "all"
        }
    }

    /// The rows this selects of a part holding `count` samples.
    /// - Throws: ``DatasetError/rangeOutOfBounds(lower:upper:count:)``.
    public func range(count: Int) throws -> Range<Int> {
        guard let rows else { return 0..<count }
        guard rows.upperBound <= count else {
            throw DatasetError.rangeOutOfBounds(lower: rows.lowerBound, upper: rows.upperBound, count: count)
        }
        return rows.range
    }
}

extension MNIST {
    /// The samples `selection` names, from the `train-*` or `t10k-*` files
    /// of `directory` (a bare range reads `defaultPart`).
    public static func load(directory: URL, _ selection: SampleSelection,
                            defaultPart: SampleSelection.Part) throws -> LabeledImages {
        let all = try load(directory: directory, split: selection.part(default: defaultPart).mnistSplit)
        return try all.slice(selection.range(count: all.count))
    }
}
