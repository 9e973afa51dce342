import Foundation
import Testing
import TernData
import TernTensor

@Suite struct StratifiedSplitTests {
    /// 70 rows of class "a", 30 of "b", interleaved.
    let table = Table(columns: [
        num("x", (0..<100).map(Double.init)),
        cat("label", (0..<100).map { $0 % 10 < 7 ? "a" : "b" }),
    ])

    @Test func keepsClassProportions() throws {
        let (train, test) = try table.stratifiedSplit(target: "label", testFraction: 0.2, seed: 1)
        #expect(train.count == 80 && test.count == 20)
        #expect(Set(train).isDisjoint(with: test))
        #expect(Set(train + test) == Set(0..<100))
        let testA = test.filter { $0 % 10 < 7 }.count
        #expect(testA == 14)  // 20 % of 70
        #expect(test.count - testA == 6)  // 20 % of 30
    }

    @Test func proportionsWithinOneRowForOddSizes() throws {
        // 3 classes of 7, 11 and 13 rows; test fraction 0.3 -> 2.1, 3.3, 3.9 rows.
        let labels = Array(repeating: 0.0, count: 7) + Array(repeating: 1, count: 11) + Array(repeating: 2, count: 13)
        let t = Table(columns: [num("y", labels, .integer)])
        let (_, test) = try t.stratifiedSplit(target: "y", testFraction: 0.3, seed: 9)
        for (cls, size) in [(0.0, 7), (1, 11), (2, 13)] {
            let inTest = Double(test.filter { labels[$0] == cls }.count)
            #expect(abs(inTest - Double(size) * 0.3) <= 1)
        }
    }

    @Test func deterministicFromSeed() throws {
        let a = try table.stratifiedSplit(target: "label", testFraction: 0.25, seed: 42)
        let b = try table.stratifiedSplit(target: "label", testFraction: 0.25, seed: 42)
        let c = try table.stratifiedSplit(target: "label", testFraction: 0.25, seed: 43)
        #expect(a.test == b.test && a.train == b.train)
        #expect(a.test != c.test)
    }

    @Test func continuousTargetGetsAPlainShuffledSplit() throws {
        let (train, test) = try table.stratifiedSplit(target: "x", testFraction: 0.1, seed: 3)
        #expect(test.count == 10 && train.count == 90)
        #expect(test != Array(0..<10))
    }

    @Test func rejectsBadArguments() {
        #expect(throws: TabularError.missingColumn(step: "split", column: "nope")) {
            try table.stratifiedSplit(target: "nope", testFraction: 0.2, seed: 1)
        }
        for fraction in [0, 1, -0.1, .nan] {
            #expect(throws: TabularError.self) { try table.stratifiedSplit(target: "label", testFraction: fraction, seed: 1) }
        }
    }

    @Test func fitOnSplitThenTransformBoth() throws {
        let (train, test) = try table.stratifiedSplit(target: "label", testFraction: 0.2, seed: 5)
        let fitted = try TabularPipeline(steps: [.standardScale(columns: nil)], target: "label").fit(table.rows(train))
        let mean = train.map(Double.init).reduce(0, +) / Double(train.count)
        #expect(near(fitted.steps[0].centers?[0] ?? 0, mean))
        let out = try fitted.transform(table.rows(test), training: false)
        #expect(out.features.shape == [20, 1])
        #expect(out.targets?.count == 20)
    }

    @Test func speedOn43000Rows() throws {
        let n = 43_000
        var rng = SeededGenerator(seed: 11)
        var columns: [Column] = []
        for j in 0..<6 {
            var values = [Double?](repeating: nil, count: n)
            for i in 0..<n where i % 50 != j { values[i] = Double(rng.nextNormal()) * Double(j + 1) }
            columns.append(num("f\(j)", values))
        }
        let cuts = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
        columns.append(cat("cut", (0..<n).map { _ in cuts[Int(rng.next() % 5)] }))
        columns.append(cat("color", (0..<n).map { _ in ["D", "E", "F", "G", "H", "I", "J"][Int(rng.next() % 7)] }))
        columns.append(num("count", (0..<n).map { _ in Double(rng.next() % 100) }, .integer))
        columns.append(num("price", (0..<n).map { _ in Double(rng.nextFloat(in: 300, 19_000)) }))
        let table = Table(columns: columns)
        let pipeline = TabularPipeline(steps: try decodeSteps("""
            [{"type": "drop_duplicates"},
             {"type": "impute", "strategy": "median"},
             {"type": "clip_outliers"},
             {"type": "log", "columns": ["price"]},
             {"type": "standard_scale"},
             {"type": "ordinal", "order": {"cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"]}},
             {"type": "one_hot", "columns": ["color"]}]
            """), target: "price")
        let clock = ContinuousClock()
        var out: (features: Tensor<Float>, targets: TabularTargets?)?
        let elapsed = try clock.measure {
            let fitted = try pipeline.fit(table)
            out = try fitted.transform(table, training: true)
        }
        print("tabular pipeline fit + transform on \(n) rows x \(table.columns.count) columns: \(elapsed)")
        #expect(out?.features.shape == [n, 6 + 1 + 7 + 1])
        #expect(elapsed < .seconds(5))
    }
}
