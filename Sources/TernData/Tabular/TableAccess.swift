import Foundation

/// Column lookups and conversions shared by the tabular steps.
extension Table {
    /// The index of the named column, or an error naming the step and column.
    func columnIndex(_ name: String, step: String) throws -> Int {
        guard let i = columns.firstIndex(where: { $0.name == name }) else {
            throw TabularError.missingColumn(step: step, column: name)
        }
        return i
    }

    /// The numbers of column `i`, or an error when it holds strings.
    func numbers(at i: Int, step: String) throws -> [Double?] {
        guard case let .numbers(values) = columns[i].values else {
            throw TabularError.wrongColumnType(
                step: step, column: columns[i].name, found: columns[i].type,
                expected: "numeric (add a 'cast' step with \"to\": \"float\")")
        }
        return values
    }

    /// The values of column `i` as category strings: strings as they are,
    /// numbers formatted by ``categoryString(_:type:)``.
    func categories(at i: Int) -> [String?] {
        switch columns[i].values {
        case let .strings(values): return values
        case let .numbers(values):
            let type = columns[i].type
            return values.map { $0.map { categoryString($0, type: type) } }
        }
    }

    /// The non-target columns with numeric values, optionally without booleans.
    func numericFeatures(target: String?, includeBooleans: Bool) -> [String] {
        columns.filter { column in
            guard column.name != target, case .numbers = column.values else { return false }
            return includeBooleans || column.type != .boolean
        }.map(\.name)
    }

    /// Keeps only the rows where `keep` is true (the table itself when all are).
    func keeping(_ keep: [Bool]) -> Table {
        if !keep.contains(false) { return self }
        return rows(keep.indices.filter { keep[$0] })
    }
}

/// The category string of a number: `true`/`false` for booleans, whole
/// numbers without a fraction (`3`, not `3.0`), others in Swift's shortest
/// round-tripping form.
func categoryString(_ value: Double, type: ColumnType) -> String {
    if type == .boolean { return value != 0 ? "true" : "false" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}

/// Parses a category string back into a number for `cast` to float and for
/// conforming inference inputs: booleans accept `true`/`false`, date-times
/// accept ISO 8601 dates. Empty text is missing; nil means unparseable.
func parseNumber(_ text: String, type: ColumnType) -> Double?? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { return .some(nil) }
    if type == .boolean {
        switch trimmed.lowercased() {
        case "true": return 1
        case "false": return 0
        default: break
        }
    }
    if type == .datetime, let seconds = CivilDate.parseSeconds(trimmed) { return seconds }
    guard let number = Double(trimmed) else { return nil }
    return number
}
