import TernSupport


/// Reads one step's keys, turning every problem into a
/// ``TabularError/invalidSpec(step:reason:)`` naming the step and key.
private struct StepReader {
    let step: String
    let container: KeyedDecodingContainer<JSONKey>

    func has(_ key: String) -> Bool { container.contains(JSONKey(key)) }

    func fail(_ reason: String) -> TabularError { .invalidSpec(step: step, reason: reason) }

    func optional<T: Decodable>(_ key: String, _ type: T.Type, _ what: String) throws -> T? {
        guard has(key) else { return nil }
        do {
            return try container.decodeNil(forKey: JSONKey(key)) ? nil : container.decode(T.self, forKey: JSONKey(key))
        } catch {
            throw fail("'\(key)' must be \(what)")
        }
    }

    func required<T: Decodable>(_ key: String, _ type: T.Type, _ what: String) throws -> T {
        guard let value = try optional(key, type, what) else { throw fail("missing '\(key)' (\(what))") }
        return value
    }

    func columns(required isRequired: Bool) throws -> [String]? {
        let value: [String]?
        if isRequired {
            value = try required("columns", [String].self, "a list of column names")
        } else {
            value = try optional("columns", [String].self, "a list of column names")
        }
        if let value, value.isEmpty { throw fail("'columns' is empty") }
        return value
    }

    func finite(_ key: String, default fallback: Double?) throws -> Double {
        let value: Double
        if let fallback {
            value = try optional(key, Double.self, "a number") ?? fallback
        } else {
            value = try required(key, Double.self, "a number")
        }
        guard value.isFinite else { throw fail("'\(key)' must be finite") }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) throws -> T where T.RawValue == String {
        guard let raw = try optional(key, String.self, "a string") else { return fallback }
        guard let value = T(rawValue: raw) else {
            throw fail("unknown \(key) '\(raw)' (known: \(T.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return value
    }

    func outlierMethod() throws -> OutlierMethod {
        let method = try optional("method", String.self, "a string") ?? "iqr"
        switch method {
        case "iqr":
            if has("threshold") { throw fail("'threshold' is for method 'zscore'; use 'k' with 'iqr'") }
            let k = try finite("k", default: 1.5)
            guard k >= 0 else { throw fail("'k' must not be negative") }
            return .iqr(k: k)
        case "zscore":
            if has("k") { throw fail("'k' is for method 'iqr'; use 'threshold' with 'zscore'") }
            let t = try finite("threshold", default: 3)
            guard t > 0 else { throw fail("'threshold' must be positive") }
            return .zscore(threshold: t)
        default:
            throw fail("unknown method '\(method)' (known: iqr, zscore)")
        }
    }
}

extension TabularStep: Codable {
    /// The keys each step type accepts besides `type`.
    static let knownKeys: [String: [String]] = [
        "drop_missing": ["columns"],
        "impute": ["columns", "strategy", "value"],
        "drop_duplicates": ["columns"],
        "clip_outliers": ["columns", "method", "k", "threshold"],
        "drop_outliers": ["columns", "method", "k", "threshold"],
        "drop_columns": ["columns"],
        "cast": ["columns", "to"],
        "standard_scale": ["columns"],
        "minmax_scale": ["columns"],
        "rescale": ["columns", "scale", "offset"],
        "one_hot": ["columns", "unknown"],
        "ordinal": ["columns", "order", "unknown"],
        "log": ["columns", "offset"],
        "date_parts": ["columns"],
    ]

    /// Decodes strictly: an unknown `type` or key is an error naming it.
    public init(from decoder: any Decoder) throws {
        let c: KeyedDecodingContainer<JSONKey>
        do { c = try decoder.container(keyedBy: JSONKey.self) } catch {
            throw TabularError.invalidSpec(step: "?", reason: "a step must be a JSON object with a 'type'")
        }
        let type: String
        do { type = try c.decode(String.self, forKey: JSONKey("type")) } catch {
            throw TabularError.invalidSpec(step: "?", reason: "a step needs a string 'type'")
        }
        guard let known = Self.knownKeys[type] else {
            throw TabularError.invalidSpec(
                step: type, reason: "unknown step type '\(type)' (known: \(Self.knownKeys.keys.sorted().joined(separator: ", ")))")
        }
        for key in c.allKeys.map(\.stringValue).sorted() where key != "type" && !known.contains(key) {
            throw TabularError.invalidSpec(step: type, reason: "unknown key '\(key)' (known: \(known.joined(separator: ", ")))")
        }
        let r = StepReader(step: type, container: c)
        switch type {
        case "drop_missing": self = .dropMissing(columns: try r.columns(required: false))
        case "impute": self = .impute(columns: try r.columns(required: false), strategy: try Self.strategy(r))
        case "drop_duplicates": self = .dropDuplicates(columns: try r.columns(required: false))
        case "clip_outliers": self = .clipOutliers(columns: try r.columns(required: false), method: try r.outlierMethod())
        case "drop_outliers": self = .dropOutliers(columns: try r.columns(required: false), method: try r.outlierMethod())
        case "drop_columns": self = .dropColumns(try r.columns(required: true) ?? [])
        case "cast":
            guard r.has("to") else { throw r.fail("missing 'to' (float or categorical)") }
            self = .cast(columns: try r.columns(required: true) ?? [], to: try r.choice("to", default: CastType.float))
        case "standard_scale": self = .standardScale(columns: try r.columns(required: false))
        case "minmax_scale": self = .minMaxScale(columns: try r.columns(required: false))
        case "rescale":
            self = .rescale(columns: try r.columns(required: false), scale: try r.finite("scale", default: nil),
                            offset: try r.finite("offset", default: 0))
        case "one_hot":
            self = .oneHot(columns: try r.columns(required: true) ?? [], unknown: try r.choice("unknown", default: UnknownCategory.error))
        case "ordinal":
            let order = try r.optional("order", [String: [String]].self, "an object of column name to category list") ?? [:]
            let columns = try r.columns(required: false)
            guard columns != nil || !order.isEmpty else { throw r.fail("needs 'columns' or 'order'") }
            for (column, categories) in order where Set(categories).count != categories.count || categories.isEmpty {
                throw r.fail("'order' for column '\(column)' must be a non-empty list without repeats")
            }
            self = .ordinal(columns: columns, order: order, unknown: try r.choice("unknown", default: UnknownCategory.error))
        case "log": self = .log(columns: try r.columns(required: true) ?? [], offset: try r.finite("offset", default: 0))
        default: self = .dateParts(columns: try r.columns(required: true) ?? [])
        }
    }

    private static func strategy(_ r: StepReader) throws -> ImputeStrategy {
        let name = try r.required("strategy", String.self, "mean, median, most_frequent or constant")
        if name != "constant" && r.has("value") { throw r.fail("'value' is only for strategy 'constant'") }
        switch name {
        case "mean": return .mean
        case "median": return .median
        case "most_frequent": return .mostFrequent
        case "constant":
            return .constant(try r.required("value", TabularValue.self, "a number or a string"))
        default:
            throw r.fail("unknown strategy '\(name)' (known: mean, median, most_frequent, constant)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        func put<T: Encodable>(_ value: T?, _ key: String) throws {
            if let value { try c.encode(value, forKey: JSONKey(key)) }
        }
        func putMethod(_ method: OutlierMethod) throws {
            switch method {
            case let .iqr(k): try put("iqr", "method"); try put(k, "k")
            case let .zscore(t): try put("zscore", "method"); try put(t, "threshold")
            }
        }
        try put(name, "type")
        switch self {
        case let .dropMissing(columns), let .dropDuplicates(columns), let .standardScale(columns), let .minMaxScale(columns):
            try put(columns, "columns")
        case let .impute(columns, strategy):
            try put(columns, "columns")
            switch strategy {
            case .mean: try put("mean", "strategy")
            case .median: try put("median", "strategy")
            case .mostFrequent: try put("most_frequent", "strategy")
            case let .constant(value): try put("constant", "strategy"); try put(value, "value")
            }
        case let .clipOutliers(columns, method), let .dropOutliers(columns, method):
            try put(columns, "columns"); try putMethod(method)
        case let .dropColumns(columns), let .dateParts(columns):
            try put(columns, "columns")
        case let .cast(columns, to):
            try put(columns, "columns"); try put(to.rawValue, "to")
        case let .rescale(columns, scale, offset):
            try put(columns, "columns"); try put(scale, "scale"); try put(offset, "offset")
        case let .oneHot(columns, unknown):
            try put(columns, "columns"); try put(unknown.rawValue, "unknown")
        case let .ordinal(columns, order, unknown):
            try put(columns, "columns")
            if !order.isEmpty { try put(order, "order") }
            try put(unknown.rawValue, "unknown")
        case let .log(columns, offset):
            try put(columns, "columns"); try put(offset, "offset")
        }
    }
}
