import Foundation

/// The natural logarithm (the C library's `log`, out of reach of the `log` step's name).
private func naturalLog(_ x: Double) -> Double { log(x) }


extension FittedTabularStep {
    /// Applies the step to `table`. Row-dropping steps drop rows only when
    /// `training`; a column the step names may be absent only when it is the
    /// target (inference inputs have no target) or for `drop_columns`.
    func apply(to table: inout Table, training: Bool, target: String?) throws {
        let name = step.name
        /// The index of each named column present, skipping an absent target.
        func indices() throws -> [(position: Int, index: Int)] {
            try columns.enumerated().compactMap { position, column in
                if table[column] == nil, column == target { return nil }
                let index = try table.columnIndex(column, step: name)
                return (position, index)
            }
        }
        func state<T>(_ values: [T]?, _ field: String) throws -> [T] {
            guard let values, values.count == columns.count else {
                throw TabularError.invalidState(step: name, reason: "'\(field)' needs one entry per column (\(columns.count))")
            }
            return values
        }
        func mapNumbers(_ transform: (Int, Int, Double) throws -> Double) throws {
            for (position, i) in try indices() {
                var values = try table.numbers(at: i, step: name)
                for row in values.indices {
                    if let v = values[row] { values[row] = try transform(position, row, v) }
                }
                table.columns[i].values = .numbers(values)
                table.columns[i].type = .float
            }
        }

        switch step {
        case .dropMissing:
            guard training else { return }
            var keep = [Bool](repeating: true, count: table.rowCount)
            for (_, i) in try indices() {
                for row in keep.indices where table.columns[i].values.isMissing(row) { keep[row] = false }
            }
            table = table.keeping(keep)
        case .dropDuplicates:
            guard training else { return }
            table = table.keeping(try duplicateFree(table, columns: indices().map(\.index)))
        case .impute:
            let fills = try state(fills, "fills")
            for (position, i) in try indices() {
                switch (table.columns[i].values, fills[position]) {
                case let (.numbers(values), .number(fill)):
                    table.columns[i].values = .numbers(values.map { $0 ?? fill })
                case let (.strings(values), .string(fill)):
                    table.columns[i].values = .strings(values.map { $0 ?? fill })
                default:
                    throw TabularError.wrongColumnType(
                        step: name, column: columns[position], found: table.columns[i].type,
                        expected: "the kind of column it was fitted on")
                }
            }
        case .clipOutliers:
            let (lower, upper) = (try state(lower, "lower"), try state(upper, "upper"))
            try mapNumbers { position, _, v in min(max(v, lower[position]), upper[position]) }
        case .dropOutliers:
            let (lower, upper) = (try state(lower, "lower"), try state(upper, "upper"))
            guard training else { return }
            var keep = [Bool](repeating: true, count: table.rowCount)
            for (position, i) in try indices() {
                let values = try table.numbers(at: i, step: name)
                for row in keep.indices {
                    if let v = values[row], v < lower[position] || v > upper[position] { keep[row] = false }
                }
            }
            table = table.keeping(keep)
        case .dropColumns:
            table = table.dropping(Set(columns))
        case let .cast(_, to):
            for (_, i) in try indices() { try cast(&table.columns[i], to: to) }
        case .standardScale, .minMaxScale:
            let (centers, scales) = (try state(centers, "centers"), try state(scales, "scales"))
            try mapNumbers { position, _, v in (v - centers[position]) / scales[position] }
        case let .rescale(_, scale, offset):
            try mapNumbers { _, _, v in v * scale + offset }
        case let .log(_, offset):
            try mapNumbers { position, row, v in
                guard v + offset > 0 else {
                    throw TabularError.invalidValue(
                        step: name, column: columns[position], row: row,
                        reason: "log needs x + offset > 0 (offset \(offset)), got \(v); set 'offset' (1 gives log1p)")
                }
                return naturalLog(v + offset)
            }
        case let .oneHot(_, unknown):
            let categories = try state(categories, "categories")
            // Replace from the right so earlier indices stay valid.
            for (position, i) in try indices().sorted(by: { $0.index > $1.index }) {
                let column = columns[position]
                let lookup = Dictionary(categories[position].enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                var encoded = [[Double?]](repeating: [Double?](repeating: 0, count: table.rowCount), count: lookup.count)
                for (row, value) in table.categories(at: i).enumerated() {
                    guard let value else { continue }
                    if let k = lookup[value] {
                        encoded[k][row] = 1
                    } else if unknown == .error {
                        throw TabularError.unknownCategory(step: name, column: column, value: value)
                    }
                }
                let newColumns = zip(categories[position], encoded).map {
                    Column(name: "\(column)=\($0)", type: .float, values: .numbers($1))
                }
                table.columns.replaceSubrange(i...i, with: newColumns)
            }
        case let .ordinal(_, _, unknown):
            let categories = try state(categories, "categories")
            for (position, i) in try indices() {
                let lookup = Dictionary(categories[position].enumerated().map { ($1, Double($0)) }, uniquingKeysWith: { first, _ in first })
                let values = try table.categories(at: i).map { value -> Double? in
                    guard let value else { return nil }
                    if let code = lookup[value] { return code }
                    guard unknown == .ignore else {
                        throw TabularError.unknownCategory(step: name, column: columns[position], value: value)
                    }
                    return -1
                }
                table.columns[i] = Column(name: columns[position], type: .integer, values: .numbers(values))
            }
        case .dateParts:
            for (position, i) in try indices().sorted(by: { $0.index > $1.index }) {
                let parts = try dateParts(table.columns[i], column: columns[position])
                table.columns.replaceSubrange(i...i, with: parts)
            }
        }
    }

    /// Which rows to keep so no two kept rows are equal over `columns`
    /// (the first of equal rows is kept). Rows are bucketed by a hash of
    /// their cells, then compared cell by cell within a bucket.
    private func duplicateFree(_ table: Table, columns: [Int]) -> [Bool] {
        let values = columns.map { table.columns[$0].values }
        func equal(_ a: Int, _ b: Int) -> Bool {
            values.allSatisfy { column in
                switch column {
                case let .numbers(v): return v[a] == v[b]
                case let .strings(v): return v[a] == v[b]
                }
            }
        }
        var hashes = [Int](repeating: 0, count: table.rowCount)
        for column in values {
            switch column {
            case let .numbers(v): for row in hashes.indices { hashes[row] = hashes[row] &* 31 &+ v[row].hashValue }
            case let .strings(v): for row in hashes.indices { hashes[row] = hashes[row] &* 31 &+ v[row].hashValue }
            }
        }
        var firstRow: [Int: Int] = [:]
        firstRow.reserveCapacity(table.rowCount)
        var collisions: [Int: [Int]] = [:]
        var keep = [Bool](repeating: true, count: table.rowCount)
        for row in keep.indices {
            let key = hashes[row]
            guard let first = firstRow[key] else { firstRow[key] = row; continue }
            if equal(first, row) || collisions[key, default: []].contains(where: { equal($0, row) }) {
                keep[row] = false
            } else {
                collisions[key, default: []].append(row)
            }
        }
        return keep
    }

    private func cast(_ column: inout Column, to: CastType) throws {
        switch (to, column.values) {
        case (.float, .numbers):
            column.type = .float
        case let (.float, .strings(values)):
            let numbers = try values.enumerated().map { row, text -> Double? in
                guard let text else { return nil }
                guard let parsed = parseNumber(text, type: .float) else {
                    throw TabularError.invalidValue(step: step.name, column: column.name, row: row, reason: "'\(text)' is not a number")
                }
                return parsed
            }
            column = Column(name: column.name, type: .float, values: .numbers(numbers))
        case let (.categorical, .numbers(values)):
            let type = column.type
            column = Column(name: column.name, type: .categorical, values: .strings(values.map { $0.map { categoryString($0, type: type) } }))
        case (.categorical, .strings):
            column.type = .categorical
        }
    }

    /// `<column>_year`, `_month`, `_day`, `_weekday` from seconds since 1970
    /// or ISO 8601 date strings; missing stays missing.
    private func dateParts(_ source: Column, column: String) throws -> [Column] {
        let seconds: [Double?]
        switch source.values {
        case let .numbers(values): seconds = values
        case let .strings(values):
            seconds = try values.enumerated().map { row, text in
                guard let text else { return nil }
                guard let s = CivilDate.parseSeconds(text) else {
                    throw TabularError.invalidValue(step: step.name, column: column, row: row, reason: "'\(text)' is not a YYYY-MM-DD date")
                }
                return s
            }
        }
        var parts = [[Double?]](repeating: [Double?](repeating: nil, count: seconds.count), count: 4)
        for (row, s) in seconds.enumerated() {
            guard let s else { continue }
            guard s.isFinite, abs(s) < 1e14 else {
                throw TabularError.invalidValue(step: step.name, column: column, row: row, reason: "\(s) is not a date")
            }
            let days = Int((s / 86_400).rounded(.down))
            let date = CivilDate(daysSinceEpoch: days)
            parts[0][row] = Double(date.year)
            parts[1][row] = Double(date.month)
            parts[2][row] = Double(date.day)
            parts[3][row] = Double(CivilDate.weekday(daysSinceEpoch: days))
        }
        return zip(["year", "month", "day", "weekday"], parts).map {
            Column(name: "\(column)_\($0)", type: .integer, values: .numbers($1))
        }
    }
}
