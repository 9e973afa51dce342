/// A ``TabularStep`` with the columns it acts on and the state it learned
/// from the training table. Stored as JSON in the model artifact:
/// `{"step": {"type": "standard_scale"}, "columns": ["carat"], "centers": [0.79], "scales": [0.47]}`.
///
/// Which state fields are present depends on the step:
/// - `impute`: `fills` (one per column);
/// - `clip_outliers`, `drop_outliers`: `lower` and `upper` bounds;
/// - `standard_scale`: `centers` (means) and `scales` (population standard
///   deviations, 1 for a constant column); `minmax_scale`: `centers`
///   (minimums) and `scales` (max - min, 1 for a constant column) — both
///   compute `(x - center) / scale`;
/// - `one_hot`, `ordinal`: `categories` (one list per column, in encoding order).
public struct FittedTabularStep: Codable, Equatable, Sendable {
    public var step: TabularStep
    /// The columns the step acts on, with defaults resolved at fit time.
    public var columns: [String]
    public var fills: [TabularValue]?
    public var lower: [Double]?
    public var upper: [Double]?
    public var centers: [Double]?
    public var scales: [Double]?
    public var categories: [[String]]?

    public init(step: TabularStep, columns: [String]) {
        self.step = step
        self.columns = columns
    }

    /// Learns `step`'s state from `table` (the training data as it is when
    /// the step runs). `target` is never a default column.
    static func fit(_ step: TabularStep, on table: Table, target: String?) throws -> FittedTabularStep {
        let name = step.name
        let numericDefault = table.numericFeatures(target: target, includeBooleans: false)
        func check(_ columns: [String]) throws -> [String] {
            for c in columns { _ = try table.columnIndex(c, step: name) }
            return columns
        }
        func notTarget(_ columns: [String]) throws -> [String] {
            if let target, columns.contains(target) {
                throw TabularError.invalidSpec(
                    step: name, reason: "column '\(target)' is the target; it is encoded automatically")
            }
            return try check(columns)
        }
        switch step {
        case let .dropMissing(columns), let .dropDuplicates(columns):
            return FittedTabularStep(step: step, columns: try check(columns ?? table.columnNames))
        case let .impute(columns, strategy):
            let cols = try check(columns ?? table.numericFeatures(target: target, includeBooleans: true))
            var fitted = FittedTabularStep(step: step, columns: cols)
            fitted.fills = try cols.map { try imputeValue(table, column: $0, strategy: strategy, step: name) }
            return fitted
        case let .clipOutliers(columns, method), let .dropOutliers(columns, method):
            let cols = try check(columns ?? numericDefault)
            var fitted = FittedTabularStep(step: step, columns: cols)
            let bounds = try cols.map { try outlierBounds(table, column: $0, method: method, step: name) }
            fitted.lower = bounds.map(\.0)
            fitted.upper = bounds.map(\.1)
            return fitted
        case let .dropColumns(columns):
            return FittedTabularStep(step: step, columns: try notTarget(columns))
        case let .cast(columns, _), let .log(columns, _):
            return FittedTabularStep(step: step, columns: try check(columns))
        case let .rescale(columns, _, _):
            return FittedTabularStep(step: step, columns: try check(columns ?? numericDefault))
        case let .standardScale(columns), let .minMaxScale(columns):
            let cols = try check(columns ?? numericDefault)
            var fitted = FittedTabularStep(step: step, columns: cols)
            let standard: Bool
            if case .standardScale = step { standard = true } else { standard = false }
            let params = try cols.map { try scaling(table, column: $0, standard: standard, step: name) }
            fitted.centers = params.map(\.0)
            fitted.scales = params.map(\.1)
            return fitted
        case let .oneHot(columns, _):
            let cols = try notTarget(columns)
            var fitted = FittedTabularStep(step: step, columns: cols)
            fitted.categories = try cols.map { column in
                let values = table.categories(at: try table.columnIndex(column, step: name))
                let distinct = Set(values.compactMap { $0 }).sorted()
                guard !distinct.isEmpty else {
                    throw TabularError.cannotFit(step: name, column: column, reason: "no values in the training data")
                }
                return distinct
            }
            return fitted
        case let .ordinal(columns, order, _):
            let cols = try notTarget(columns ?? order.keys.sorted())
            var fitted = FittedTabularStep(step: step, columns: cols)
            fitted.categories = try cols.map { column in
                if let given = order[column] { return given }
                let values = table.categories(at: try table.columnIndex(column, step: name))
                let distinct = Set(values.compactMap { $0 }).sorted()
                guard !distinct.isEmpty else {
                    throw TabularError.cannotFit(step: name, column: column, reason: "no values in the training data")
                }
                return distinct
            }
            return fitted
        case let .dateParts(columns):
            return FittedTabularStep(step: step, columns: try notTarget(columns))
        }
    }

    /// The present numbers of a numeric column, or an error when there are none.
    private static func present(_ table: Table, column: String, step: String) throws -> [Double] {
        let values = try table.numbers(at: try table.columnIndex(column, step: step), step: step).compactMap { $0 }
        guard !values.isEmpty else {
            throw TabularError.cannotFit(step: step, column: column, reason: "no values in the training data")
        }
        return values
    }

    private static func imputeValue(_ table: Table, column: String, strategy: ImputeStrategy, step: String) throws -> TabularValue {
        let index = try table.columnIndex(column, step: step)
        let isNumeric: Bool
        if case .numbers = table.columns[index].values { isNumeric = true } else { isNumeric = false }
        switch strategy {
        case .mean:
            let values = try present(table, column: column, step: step)
            return .number(Statistics.mean(values) ?? 0)
        case .median:
            let values = try present(table, column: column, step: step)
            return .number(Statistics.median(values) ?? 0)
        case .mostFrequent:
            if isNumeric {
                let values = try present(table, column: column, step: step)
                return .number(Statistics.mode(values) ?? 0)
            }
            guard let mode = Statistics.mode(table.categories(at: index).compactMap({ $0 })) else {
                throw TabularError.cannotFit(step: step, column: column, reason: "no values in the training data")
            }
            return .string(mode)
        case let .constant(value):
            switch (value, isNumeric) {
            case (.number, true), (.string, false): return value
            case let (.number(d), false): return .string(categoryString(d, type: .float))
            case let (.string(s), true):
                throw TabularError.cannotFit(step: step, column: column, reason: "constant '\(s)' is not a number but the column is numeric")
            }
        }
    }

    private static func outlierBounds(_ table: Table, column: String, method: OutlierMethod, step: String) throws -> (Double, Double) {
        let values = try present(table, column: column, step: step)
        switch method {
        case let .iqr(k):
            let sorted = values.sorted()
            let q1 = Statistics.quantile(sorted: sorted, 0.25) ?? 0
            let q3 = Statistics.quantile(sorted: sorted, 0.75) ?? 0
            return (q1 - k * (q3 - q1), q3 + k * (q3 - q1))
        case let .zscore(threshold):
            let mean = Statistics.mean(values) ?? 0
            let std = Statistics.std(values, mean: mean) ?? 0
            return (mean - threshold * std, mean + threshold * std)
        }
    }

    private static func scaling(_ table: Table, column: String, standard: Bool, step: String) throws -> (Double, Double) {
        let values = try present(table, column: column, step: step)
        if standard {
            let mean = Statistics.mean(values) ?? 0
            let std = Statistics.std(values, mean: mean) ?? 0
            return (mean, std > 0 ? std : 1)
        }
        let low = values.min() ?? 0
        let high = values.max() ?? 0
        return (low, high > low ? high - low : 1)
    }
}
