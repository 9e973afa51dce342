/// Summary statistics over the present (non-missing) values of a column.
enum Statistics {
    /// The mean, or nil when there are no values.
    static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    /// The population standard deviation (divides by n, like scikit-learn's
    /// `StandardScaler`), or nil when there are no values.
    static func std(_ values: [Double], mean: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sumSquares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (sumSquares / Double(values.count)).squareRoot()
    }

    /// The `q` quantile (0...1) of sorted values by linear interpolation
    /// between closest ranks (NumPy's default), or nil when empty.
    static func quantile(sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// The median: the middle value, or the mean of the two middle values.
    static func median(_ values: [Double]) -> Double? {
        quantile(sorted: values.sorted(), 0.5)
    }

    /// The most frequent value; ties go to the smallest. Nil when empty.
    static func mode<T: Hashable & Comparable>(_ values: [T]) -> T? {
        var counts: [T: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }
}
