/// Errors from decoding, fitting or applying a tabular pipeline. Each names
/// the step (its JSON `type`, or `input`, `features`, `target`, `split`) and,
/// where there is one, the column.
public enum TabularError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The step's JSON is malformed: unknown type or key, wrong value type.
    case invalidSpec(step: String, reason: String)
    /// A column the step names is not in the table.
    case missingColumn(step: String, column: String)
    /// The column has the wrong kind of values for the step.
    case wrongColumnType(step: String, column: String, found: ColumnType, expected: String)
    /// A value the step cannot handle (a non-positive value for `log`,
    /// an unparseable number or date).
    case invalidValue(step: String, column: String, row: Int, reason: String)
    /// A missing value reached a place that needs a value.
    case missingValue(step: String, column: String, row: Int)
    /// A category not seen when fitting (with `unknown: error`).
    case unknownCategory(step: String, column: String, value: String)
    /// The step cannot learn its state from the training data.
    case cannotFit(step: String, column: String, reason: String)
    /// A categorical column is left as a feature after all steps.
    case categoricalFeature(column: String)
    /// The stored fitted state does not match the data (a corrupt artifact).
    case invalidState(step: String, reason: String)
    /// Invalid arguments to a split.
    case invalidSplit(reason: String)

    public var description: String {
        switch self {
        case let .invalidSpec(step, reason):
            return "tabular step '\(step)': \(reason)"
        case let .missingColumn(step, column):
            return "tabular step '\(step)': no column '\(column)' in the table"
        case let .wrongColumnType(step, column, found, expected):
            return "tabular step '\(step)': column '\(column)' is \(found.rawValue), expected \(expected)"
        case let .invalidValue(step, column, row, reason):
            return "tabular step '\(step)': column '\(column)' row \(row): \(reason)"
        case let .missingValue(step, column, row):
            return "tabular step '\(step)': column '\(column)' has a missing value at row \(row); "
                + "add an 'impute' step (or 'drop_missing' for training data)"
        case let .unknownCategory(step, column, value):
            return "tabular step '\(step)': column '\(column)' has category '\(value)' not seen in training"
        case let .cannotFit(step, column, reason):
            return "tabular step '\(step)': cannot fit column '\(column)': \(reason)"
        case let .categoricalFeature(column):
            return "tabular pipeline: feature column '\(column)' is still categorical after all steps; "
                + "add a 'one_hot' or 'ordinal' step for it (or 'drop_columns')"
        case let .invalidState(step, reason):
            return "tabular step '\(step)': invalid fitted state: \(reason)"
        case let .invalidSplit(reason):
            return "split: \(reason)"
        }
    }
}
