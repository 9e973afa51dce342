import TernSupport

/// A declarative list of ``TabularStep``s and the target column, written in
/// a model spec like Keras layers:
/// `{"steps": [{"type": "impute", "columns": ["age"], "strategy": "median"}], "target": "survived"}`.
///
/// ``fit(_:)`` learns every step's state on the training table only; the
/// resulting ``FittedTabularPipeline`` is stored with the model so serving
/// applies exactly what training did.
public struct TabularPipeline: Codable, Equatable, Sendable {
    public var steps: [TabularStep]
    /// The column to predict; nil for features only.
    public var target: String?
    /// Whether the target is a class label. When nil it is inferred: a
    /// categorical or boolean target, or an integer target with at most
    /// ``maxInferredClasses`` distinct values, is a class label.
    public var classification: Bool?

    /// Integer targets with at most this many distinct values are inferred to be classes.
    public static let maxInferredClasses = 20

    public init(steps: [TabularStep], target: String? = nil, classification: Bool? = nil) {
        self.steps = steps
        self.target = target
        self.classification = classification
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case steps, target, classification }

    /// Decodes strictly: an unknown key is an error naming it.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: JSONKey.self).allKeys.map(\.stringValue)
        for key in keys.sorted() where CodingKeys(rawValue: key) == nil {
            throw TabularError.invalidSpec(step: "pipeline", reason: "unknown key '\(key)' (known: steps, target, classification)")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decodeIfPresent([TabularStep].self, forKey: .steps) ?? []
        target = try c.decodeIfPresent(String.self, forKey: .target)
        classification = try c.decodeIfPresent(Bool.self, forKey: .classification)
    }

    /// Learns every step's state from `table` (the training rows only), each
    /// step seeing the table as the previous steps left it, then the target
    /// encoding from the target column as the steps left it.
    ///
    /// - Throws: ``TabularError`` naming the step and column: a missing
    ///   column, a categorical feature left at the end, a missing value that
    ///   reaches the end, a column a step cannot fit.
    public func fit(_ table: Table) throws -> FittedTabularPipeline {
        if let target, table[target] == nil { throw TabularError.missingColumn(step: "target", column: target) }
        let schema = table.columns.map { TabularInputColumn(name: $0.name, type: $0.type) }
        var current = table
        var fittedSteps: [FittedTabularStep] = []
        for step in steps {
            let fitted = try FittedTabularStep.fit(step, on: current, target: target)
            try fitted.apply(to: &current, training: true, target: target)
            fittedSteps.append(fitted)
        }
        let features = current.columns.filter { $0.name != target }
        guard !features.isEmpty else {
            throw TabularError.invalidSpec(step: "pipeline", reason: "the steps leave no feature column besides the target")
        }
        guard current.rowCount > 0 else {
            throw TabularError.invalidSpec(step: "pipeline", reason: "the steps leave no training rows")
        }
        for column in features {
            guard case let .numbers(values) = column.values else { throw TabularError.categoricalFeature(column: column.name) }
            if let row = values.firstIndex(where: { $0 == nil }) {
                throw TabularError.missingValue(step: "features", column: column.name, row: row)
            }
        }
        var labels: [String]?
        if let target, let index = current.columns.firstIndex(where: { $0.name == target }) {
            labels = try classLabels(current.columns[index])
        }
        return FittedTabularPipeline(
            steps: fittedSteps, target: target, inputColumns: schema,
            featureNames: features.map(\.name), classLabels: labels)
    }

    /// The sorted class labels of a classification target, or nil for a
    /// regression target. Numbers sort numerically and are labelled by
    /// `categoryString` (`3`, `true`); strings sort by Unicode order.
    private func classLabels(_ column: Column) throws -> [String]? {
        if let row = (0..<column.count).first(where: column.values.isMissing) {
            throw TabularError.missingValue(step: "target", column: column.name, row: row)
        }
        switch column.values {
        case let .strings(values):
            if classification == false {
                throw TabularError.wrongColumnType(
                    step: "target", column: column.name, found: column.type,
                    expected: "numeric for regression (classification is false)")
            }
            return Set(values.compactMap { $0 }).sorted()
        case let .numbers(values):
            let distinct = Set(values.compactMap { $0 }).sorted()
            let isClass = classification
                ?? (column.type == .boolean || (column.type == .integer && distinct.count <= Self.maxInferredClasses))
            guard isClass else { return nil }
            return distinct.map { categoryString($0, type: column.type) }
        }
    }
}

/// The name and type of a column the pipeline was fitted on: inference
/// inputs are conformed to these before the steps run.
public struct TabularInputColumn: Codable, Equatable, Sendable {
    public var name: String
    public var type: ColumnType

    public init(name: String, type: ColumnType) {
        self.name = name
        self.type = type
    }
}

/// The encoded target column: class indices into
/// ``FittedTabularPipeline/classLabels``, or regression values.
public enum TabularTargets: Equatable, Sendable {
    case classes([Int32])
    case values([Float])

    public var count: Int {
        switch self {
        case let .classes(c): return c.count
        case let .values(v): return v.count
        }
    }
}
