import TernTensor

extension Table {
    /// Splits the rows into training and test row indices (each ascending).
    ///
    /// For a class-like target (categorical, boolean, or integer with at
    /// most ``TabularPipeline/maxInferredClasses`` distinct values) each
    /// class (and the missing values, as one more group) is shuffled on its
    /// own and `round(count * testFraction)` of its rows go to the test
    /// split, so every class keeps its proportion to within one row. A
    /// continuous target gets a plain shuffled split of
    /// `round(rowCount * testFraction)` test rows. The same seed always gives
    /// the same split.
    ///
    /// - Throws: ``TabularError/missingColumn(step:column:)`` for an unknown
    ///   target, ``TabularError/invalidSplit(reason:)`` when `testFraction`
    ///   is not strictly between 0 and 1.
    public func stratifiedSplit(target: String, testFraction: Double, seed: UInt64) throws -> (train: [Int], test: [Int]) {
        guard let column = self[target] else { throw TabularError.missingColumn(step: "split", column: target) }
        guard testFraction > 0, testFraction < 1 else {
            throw TabularError.invalidSplit(reason: "testFraction must be between 0 and 1 (exclusive), got \(testFraction)")
        }
        var rng = SeededGenerator(seed: seed)
        let groups = Self.strata(column)
        var test: [Int] = []
        for var rows in groups {
            Self.shuffle(&rows, using: &rng)
            let count = Int((Double(rows.count) * testFraction).rounded())
            test.append(contentsOf: rows.prefix(count))
        }
        var isTest = [Bool](repeating: false, count: rowCount)
        for row in test { isTest[row] = true }
        return (isTest.indices.filter { !isTest[$0] }, test.sorted())
    }

    /// The row groups to stratify by, in a deterministic order: one per
    /// class (sorted) then missing values, or a single group for a
    /// continuous target.
    private static func strata(_ column: Column) -> [[Int]] {
        var byClass: [String: [Int]] = [:]
        var missing: [Int] = []
        switch column.values {
        case let .strings(values):
            for (row, v) in values.enumerated() {
                if let v { byClass[v, default: []].append(row) } else { missing.append(row) }
            }
        case let .numbers(values):
            let distinct = Set(values.compactMap { $0 })
            let isClass = column.type == .boolean
                || (column.type == .integer && distinct.count <= TabularPipeline.maxInferredClasses)
            guard isClass else { return [Array(values.indices)] }
            for (row, v) in values.enumerated() {
                if let v { byClass[categoryString(v, type: column.type), default: []].append(row) } else { missing.append(row) }
            }
        }
        var groups = byClass.keys.sorted().compactMap { byClass[$0] }
        if !missing.isEmpty { groups.append(missing) }
        return groups
    }

    /// A Fisher-Yates shuffle whose draws depend only on the generator, so
    /// it is the same on every platform and Swift version.
    private static func shuffle(_ rows: inout [Int], using rng: inout SeededGenerator) {
        guard rows.count > 1 else { return }
        for i in stride(from: rows.count - 1, to: 0, by: -1) {
            let j = Int(UInt64(i + 1).multipliedFullWidth(by: rng.next()).high)
            rows.swapAt(i, j)
        }
    }
}

extension Table {
    /// The held-out split `tern train --csv`, its evaluation and training
    /// jobs share: ``stratifiedSplit(target:testFraction:seed:)``, or every
    /// row for training when `testFraction` is 0.
    public func heldOutSplit(target: String, testFraction: Double, seed: UInt64) throws -> (train: [Int], test: [Int]) {
        guard testFraction > 0 else {
            guard self[target] != nil else { throw TabularError.missingColumn(step: "split", column: target) }
            return (Array(0..<rowCount), [])
        }
        return try stratifiedSplit(target: target, testFraction: testFraction, seed: seed)
    }
}
