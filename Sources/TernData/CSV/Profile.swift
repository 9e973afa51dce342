import Foundation

/// Ten equal-width bins over a numeric column's values: 11 edges, 10 counts.
/// The last bin includes its upper edge. A constant column gets the bins
/// over `value - 0.5 ... value + 0.5` (as NumPy does).
public struct Histogram: Codable, Sendable, Equatable {
    public var edges: [Double]
    public var counts: [Int]

    public init(edges: [Double], counts: [Int]) {
        self.edges = edges
        self.counts = counts
    }
}

/// A categorical (or boolean) value and how often it occurs.
public struct ValueCount: Codable, Sendable, Equatable {
    public var value: String
    public var count: Int

    public init(value: String, count: Int) {
        self.value = value
        self.count = count
    }
}

/// Summary statistics of one column.
///
/// `count` is the number of non-missing values, `distinct` the number of
/// distinct non-missing values. Numeric columns (integer, float, boolean as
/// 0/1, datetime as seconds since 1970) have `min`, `max`, `mean`, `std`
/// (sample standard deviation, n − 1; absent below two values), the
/// quartiles `p25`, `p50`, `p75` (linear interpolation) and a
/// ``Histogram``. Categorical and boolean columns have `top`: the 10 most
/// frequent values, most frequent first (ties by value). Statistics that do
/// not apply, or a column without values, leave the fields absent (`nil`,
/// omitted from JSON). All JSON keys are single lower-case words.
public struct ColumnProfile: Codable, Sendable, Equatable {
    public var name: String
    public var type: ColumnType
    public var count: Int
    public var missing: Int
    public var distinct: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    public var std: Double?
    public var p25: Double?
    public var p50: Double?
    public var p75: Double?
    public var histogram: Histogram?
    public var top: [ValueCount]?
}

/// Summary statistics of a table: its row count and one profile per column.
public struct TableProfile: Codable, Sendable, Equatable {
    public var rows: Int
    public var columns: [ColumnProfile]

    /// The profile of the named column.
    public subscript(name: String) -> ColumnProfile? { columns.first { $0.name == name } }
}

/// Profiles every column of `table`.
public func profile(_ table: Table) -> TableProfile {
    TableProfile(rows: table.rowCount, columns: table.columns.map(profile))
}

/// Profiles one column.
public func profile(_ column: Column) -> ColumnProfile {
    var result = ColumnProfile(name: column.name, type: column.type, count: 0, missing: 0, distinct: 0)
    switch column.values {
    case let .numbers(values):
        let present = values.compactMap { $0 }
        result.count = present.count
        result.missing = values.count - present.count
        result.distinct = Set(present).count
        describeNumbers(present, into: &result)
        if column.type == .boolean {
            let ones = present.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
            result.top = topValues([("true", ones), ("false", present.count - ones)].filter { $0.1 > 0 })
        }
    case let .strings(values):
        var counts: [String: Int] = [:]
        for case let value? in values { counts[value, default: 0] += 1 }
        result.count = counts.values.reduce(0, +)
        result.missing = values.count - result.count
        result.distinct = counts.count
        result.top = topValues(counts.map { ($0.key, $0.value) })
    }
    return result
}

private func topValues(_ counts: [(String, Int)]) -> [ValueCount] {
    counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(10).map { ValueCount(value: $0.0, count: $0.1) }
}

private func describeNumbers(_ present: [Double], into result: inout ColumnProfile) {
    guard !present.isEmpty else { return }
    let sorted = present.sorted()
    let n = Double(sorted.count)
    let mean = sorted.reduce(0, +) / n
    result.min = sorted.first
    result.max = sorted.last
    result.mean = mean
    if sorted.count > 1 {
        let squares = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        result.std = (squares / (n - 1)).squareRoot()
    }
    func quantile(_ q: Double) -> Double {
        let position = q * (n - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
    result.p25 = quantile(0.25)
    result.p50 = quantile(0.5)
    result.p75 = quantile(0.75)
    result.histogram = histogram(sorted)
}

private func histogram(_ sorted: [Double]) -> Histogram {
    let binCount = 10
    var low = sorted.first ?? 0, high = sorted.last ?? 0
    if low == high { low -= 0.5; high += 0.5 }
    let width = (high - low) / Double(binCount)
    let edges = (0...binCount).map { $0 == binCount ? high : low + Double($0) * width }
    var counts = Array(repeating: 0, count: binCount)
    for value in sorted {
        let bin = Int(((value - low) / width).rounded(.down))
        counts[Swift.max(0, Swift.min(binCount - 1, bin))] += 1
    }
    return Histogram(edges: edges, counts: counts)
}
