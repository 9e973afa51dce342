import Foundation

/// The inferred type of a CSV column.
public enum ColumnType: String, Codable, Sendable, CaseIterable {
    case integer, float, boolean, categorical, datetime

    public var isNumeric: Bool { self == .integer || self == .float || self == .boolean || self == .datetime }
}

/// A column's values: numbers (integers, floats, booleans as 0/1, date-times
/// as seconds since 1970) or strings (categoricals); nil is missing.
public enum ColumnValues: Sendable, Equatable {
    case numbers([Double?])
    case strings([String?])

    public var count: Int {
        switch self {
        case let .numbers(v): return v.count
        case let .strings(v): return v.count
        }
    }

    public func isMissing(_ row: Int) -> Bool {
        switch self {
        case let .numbers(v): return v[row] == nil
        case let .strings(v): return v[row] == nil
        }
    }

    /// The values at `rows`, in that order.
    public func gather(_ rows: some Collection<Int>) -> ColumnValues {
        switch self {
        case let .numbers(v): return .numbers(rows.map { v[$0] })
        case let .strings(v): return .strings(rows.map { v[$0] })
        }
    }
}

/// One named, typed column of a table.
public struct Column: Sendable, Equatable {
    public var name: String
    public var type: ColumnType
    public var values: ColumnValues

    public init(name: String, type: ColumnType, values: ColumnValues) {
        self.name = name
        self.type = type
        self.values = values
    }

    public var count: Int { values.count }
}

/// A table of columns with equal lengths: what a CSV file becomes, and what
/// the tabular pipeline transforms into a feature matrix.
public struct Table: Sendable, Equatable {
    public var columns: [Column]

    public init(columns: [Column]) { self.columns = columns }

    public var rowCount: Int { columns.first?.count ?? 0 }
    public var columnNames: [String] { columns.map(\.name) }

    public subscript(name: String) -> Column? {
        columns.first { $0.name == name }
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: some Collection<Int>) -> Table {
        Table(columns: columns.map { Column(name: $0.name, type: $0.type, values: $0.values.gather(indices)) })
    }

    /// The table without the named columns (names not present are ignored).
    public func dropping(_ names: Set<String>) -> Table {
        Table(columns: columns.filter { !names.contains($0.name) })
    }
}
