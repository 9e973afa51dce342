/// One declarative step of a ``TabularPipeline``, written in a model spec as
/// a JSON object `{"type": "...", ...}` like a Keras layer. Decoding is
/// strict: an unknown `type` or key is an error naming it.
///
/// ```json
/// {"type": "drop_missing", "columns": ["age"]}
/// {"type": "impute", "columns": ["age"], "strategy": "median"}
/// {"type": "impute", "columns": ["deck"], "strategy": "constant", "value": "none"}
/// {"type": "drop_duplicates"}
/// {"type": "clip_outliers", "columns": ["fare"], "method": "iqr", "k": 1.5}
/// {"type": "drop_outliers", "method": "zscore", "threshold": 3}
/// {"type": "drop_columns", "columns": ["name", "ticket"]}
/// {"type": "cast", "columns": ["zip"], "to": "categorical"}
/// {"type": "standard_scale"}
/// {"type": "minmax_scale", "columns": ["carat"]}
/// {"type": "rescale", "columns": ["pixels"], "scale": 0.00392156862745098, "offset": 0}
/// {"type": "one_hot", "columns": ["sex", "embarked"], "unknown": "ignore"}
/// {"type": "ordinal", "order": {"cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"]}}
/// {"type": "log", "columns": ["price"], "offset": 0}
/// {"type": "date_parts", "columns": ["sold_on"]}
/// ```
///
/// Columns given as `nil` (no `columns` key) mean a default chosen when
/// fitting: every column for `drop_missing` and `drop_duplicates`; every
/// numeric feature column (not the target) for `impute`; every non-boolean
/// numeric feature column for the outlier steps, the scalers and `rescale`.
/// Defaults: `method` iqr with `k` 1.5 (zscore `threshold` 3), `unknown`
/// error, `offset` 0. Row-dropping steps (`drop_missing`, `drop_duplicates`,
/// `drop_outliers`) only drop rows in training; at inference they pass every
/// row through.
public enum TabularStep: Equatable, Sendable {
    /// `drop_missing`: drops rows with a missing value in `columns`.
    case dropMissing(columns: [String]?)
    /// `impute`: fills missing values with a statistic learned in training.
    case impute(columns: [String]?, strategy: ImputeStrategy)
    /// `drop_duplicates`: drops rows equal (over `columns`) to an earlier row.
    case dropDuplicates(columns: [String]?)
    /// `clip_outliers`: clamps values to bounds learned in training.
    case clipOutliers(columns: [String]?, method: OutlierMethod)
    /// `drop_outliers`: drops training rows outside the learned bounds
    /// (missing values are kept).
    case dropOutliers(columns: [String]?, method: OutlierMethod)
    /// `drop_columns`: removes columns (absent at inference is fine).
    case dropColumns([String])
    /// `cast`: converts columns to numbers (`float`) or strings (`categorical`).
    case cast(columns: [String], to: CastType)
    /// `standard_scale`: `(x - mean) / std` with the population standard
    /// deviation; a constant column is only centred (std treated as 1).
    case standardScale(columns: [String]?)
    /// `minmax_scale`: `(x - min) / (max - min)`; a constant column maps to 0.
    case minMaxScale(columns: [String]?)
    /// `rescale`: `x * scale + offset`.
    case rescale(columns: [String]?, scale: Double, offset: Double)
    /// `one_hot`: replaces each column with one 0/1 column per training
    /// category (sorted), named `column=category`. A missing value encodes
    /// as all zeros; an unseen category as all zeros (`ignore`) or an error.
    case oneHot(columns: [String], unknown: UnknownCategory)
    /// `ordinal`: replaces categories with their index in `order[column]`
    /// (or in the sorted training categories when a column has no order).
    /// An unseen category is an error, or -1 with `unknown: ignore`; a
    /// missing value stays missing.
    case ordinal(columns: [String]?, order: [String: [String]], unknown: UnknownCategory)
    /// `log`: natural `log(x + offset)`; a value with `x + offset <= 0` is an
    /// error naming the column and row (use `offset: 1` for log1p).
    case log(columns: [String], offset: Double)
    /// `date_parts`: replaces each date column with `<column>_year`,
    /// `_month`, `_day` and `_weekday` (0 = Monday ... 6 = Sunday), in UTC.
    case dateParts(columns: [String])

    /// The step's JSON `type`, used in errors.
    public var name: String {
        switch self {
        case .dropMissing: return "drop_missing"
        case .impute: return "impute"
        case .dropDuplicates: return "drop_duplicates"
        case .clipOutliers: return "clip_outliers"
        case .dropOutliers: return "drop_outliers"
        case .dropColumns: return "drop_columns"
        case .cast: return "cast"
        case .standardScale: return "standard_scale"
        case .minMaxScale: return "minmax_scale"
        case .rescale: return "rescale"
        case .oneHot: return "one_hot"
        case .ordinal: return "ordinal"
        case .log: return "log"
        case .dateParts: return "date_parts"
        }
    }
}

/// How `impute` chooses its fill value.
public enum ImputeStrategy: Equatable, Sendable {
    /// The training mean (numeric columns).
    case mean
    /// The training median, the mean of the two middle values for an even count (numeric columns).
    case median
    /// The most frequent training value; ties go to the smallest value.
    case mostFrequent
    /// A fixed value.
    case constant(TabularValue)
}

/// A number or a string: a constant fill value or a learned one.
public enum TabularValue: Equatable, Sendable, Codable {
    case number(Double)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .number(d): try c.encode(d)
        case let .string(s): try c.encode(s)
        }
    }
}

/// How outlier bounds are learned.
public enum OutlierMethod: Equatable, Sendable {
    /// `[Q1 - k * IQR, Q3 + k * IQR]`, quartiles by linear interpolation
    /// (NumPy's default); `k` is 1.5 by default.
    case iqr(k: Double)
    /// `mean ± threshold * std` (population std); `threshold` is 3 by default.
    case zscore(threshold: Double)
}

/// The target kind of a `cast`.
public enum CastType: String, Equatable, Sendable, CaseIterable {
    case float, categorical
}

/// What an encoder does with a category it did not see in training.
public enum UnknownCategory: String, Equatable, Sendable, CaseIterable {
    /// `one_hot`: all zeros; `ordinal`: -1.
    case ignore
    /// Throws ``TabularError/unknownCategory(step:column:value:)``.
    case error
}
