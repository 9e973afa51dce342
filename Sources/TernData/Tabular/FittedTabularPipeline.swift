import TernTensor

/// A ``TabularPipeline`` with every step's learned state and the target
/// encoding, stored as JSON in the model artifact.
public struct FittedTabularPipeline: Codable, Equatable, Sendable {
    public var steps: [FittedTabularStep]
    public var target: String?
    /// The columns of the training table, in order; inputs are conformed to
    /// them (extra columns are ignored, numbers given as text are parsed).
    public var inputColumns: [TabularInputColumn]
    /// The feature matrix's columns, in order (`sex=male` for one-hot columns).
    public var featureNames: [String]
    /// The sorted class labels (index = class), or nil for regression.
    public var classLabels: [String]?

    public init(
        steps: [FittedTabularStep], target: String?, inputColumns: [TabularInputColumn],
        featureNames: [String], classLabels: [String]?
    ) {
        self.steps = steps
        self.target = target
        self.inputColumns = inputColumns
        self.featureNames = featureNames
        self.classLabels = classLabels
    }

    public var featureCount: Int { featureNames.count }

    /// The class label of a class index, or the index as text when it is out
    /// of range or the target is not a class label.
    public func decodeClass(_ index: Int) -> String {
        guard let classLabels, classLabels.indices.contains(index) else { return "\(index)" }
        return classLabels[index]
    }

    /// Applies every step and returns the `(rows, featureCount)` feature
    /// matrix, with the encoded targets when the target column is in `table`.
    ///
    /// With `training` false (inference) no step drops rows, so there is one
    /// feature row per input row.
    /// - Throws: ``TabularError``: a missing input column, a value that
    ///   cannot be conformed to the training type, an unseen category with
    ///   `unknown: error`, an unseen class label, a missing value that
    ///   reaches the features or target.
    public func transform(_ table: Table, training: Bool) throws -> (features: Tensor<Float>, targets: TabularTargets?) {
        var current = try conform(table)
        for step in steps { try step.apply(to: &current, training: training, target: target) }
        return (try features(current), try targets(current))
    }

    /// The table with the training columns in training order and types.
    private func conform(_ table: Table) throws -> Table {
        let optional = Set(steps.flatMap { step -> [String] in
            if case .dropColumns = step.step { return step.columns }
            return []
        })
        var columns: [Column] = []
        for input in inputColumns {
            guard let column = table[input.name] else {
                if input.name == target { continue }
                guard optional.contains(input.name) else { throw TabularError.missingColumn(step: "input", column: input.name) }
                let missing: ColumnValues = input.type.isNumeric
                    ? .numbers(Array(repeating: nil, count: table.rowCount))
                    : .strings(Array(repeating: nil, count: table.rowCount))
                columns.append(Column(name: input.name, type: input.type, values: missing))
                continue
            }
            columns.append(try conform(column, to: input.type))
        }
        return Table(columns: columns)
    }

    private func conform(_ column: Column, to type: ColumnType) throws -> Column {
        switch (column.values, type.isNumeric) {
        case (.numbers, true), (.strings, false):
            return Column(name: column.name, type: type, values: column.values)
        case let (.numbers(values), false):
            let strings = values.map { $0.map { categoryString($0, type: column.type) } }
            return Column(name: column.name, type: type, values: .strings(strings))
        case let (.strings(values), true):
            let numbers = try values.enumerated().map { row, text -> Double? in
                guard let text else { return nil }
                guard let number = parseNumber(text, type: type) else {
                    throw TabularError.invalidValue(
                        step: "input", column: column.name, row: row, reason: "'\(text)' is not \(type.rawValue) as in training")
                }
                return number
            }
            return Column(name: column.name, type: type, values: .numbers(numbers))
        }
    }

    private func features(_ table: Table) throws -> Tensor<Float> {
        let columns = table.columns.filter { $0.name != target }
        guard columns.map(\.name) == featureNames else {
            throw TabularError.invalidState(
                step: "features", reason: "columns \(columns.map(\.name)) differ from the fitted \(featureNames)")
        }
        let rows = table.rowCount
        let width = columns.count
        var scalars = [Float](repeating: 0, count: rows * width)
        for (j, column) in columns.enumerated() {
            guard case let .numbers(values) = column.values else { throw TabularError.categoricalFeature(column: column.name) }
            for row in 0..<rows {
                guard let v = values[row] else { throw TabularError.missingValue(step: "features", column: column.name, row: row) }
                scalars[row * width + j] = Float(v)
            }
        }
        return try Tensor(shape: [rows, width], scalars: scalars)
    }

    private func targets(_ table: Table) throws -> TabularTargets? {
        guard let target, let index = table.columns.firstIndex(where: { $0.name == target }) else { return nil }
        let column = table.columns[index]
        if let row = (0..<column.count).first(where: column.values.isMissing) {
            throw TabularError.missingValue(step: "target", column: target, row: row)
        }
        guard let classLabels else {
            guard case let .numbers(values) = column.values else {
                throw TabularError.wrongColumnType(step: "target", column: target, found: column.type, expected: "numeric")
            }
            return .values(values.map { Float($0 ?? 0) })
        }
        let lookup = Dictionary(classLabels.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        return .classes(try table.categories(at: index).map { value in
            let label = value ?? ""
            guard let code = lookup[label] else {
                throw TabularError.unknownCategory(step: "target", column: target, value: label)
            }
            return code
        })
    }
}
