import Foundation
import Testing
import TernData
import TernTensor

@Suite struct TabularCleaningTests {
    @Test func imputeStrategies() throws {
        let table = Table(columns: [
            num("a", [1, nil, 3, 10]),
            num("b", [2, 2, 5, 5]),
            cat("c", ["x", "y", "y", nil]),
        ])
        func fill(_ strategy: ImputeStrategy, _ column: String) throws -> TabularValue? {
            try TabularPipeline(steps: [.impute(columns: [column], strategy: strategy), .dropColumns(["a", "c"])])
                .fit(table).steps[0].fills?.first
        }
        // Mean of 1, 3, 10 = 14 / 3; median = 3.
        #expect(try fill(.mean, "a") == .number(14.0 / 3))
        #expect(try fill(.median, "a") == .number(3))
        // Median of an even count is the mean of the two middle values: 2, 2, 5, 5 -> 3.5.
        #expect(try fill(.median, "b") == .number(3.5))
        // Ties go to the smallest value: 2 and 5 both appear twice.
        #expect(try fill(.mostFrequent, "b") == .number(2))
        #expect(try fill(.mostFrequent, "c") == .string("y"))
        #expect(try fill(.constant(.string("unknown")), "c") == .string("unknown"))
        #expect(try fill(.constant(.number(-1)), "a") == .number(-1))
        #expect(throws: TabularError.wrongColumnType(
            step: "impute", column: "c", found: .categorical,
            expected: "numeric (add a 'cast' step with \"to\": \"float\")")) { try fill(.mean, "c") }
        let fitted = try TabularPipeline(steps: [.impute(columns: nil, strategy: .mean), .dropColumns(["c"])]).fit(table)
        #expect(try fitted.transform(table, training: false).features.scalars.count == 8)
    }

    @Test func iqrBounds() throws {
        // Sorted 1...8, 100 (n = 9): Q1 at position 2 = 3, Q3 at position 6 = 7, IQR 4,
        // bounds [3 - 1.5 * 4, 7 + 1.5 * 4] = [-3, 13].
        let table = Table(columns: [num("x", [1, 2, 3, 4, 5, 6, 7, 8, 100])])
        let clip = try TabularPipeline(steps: [try decodeStep(#"{"type": "clip_outliers", "columns": ["x"]}"#)]).fit(table)
        #expect(clip.steps[0].lower == [-3])
        #expect(clip.steps[0].upper == [13])
        #expect(try clip.transform(table, training: false).features.scalars.last == 13)
        let drop = try TabularPipeline(steps: [.dropOutliers(columns: nil, method: .iqr(k: 1.5))]).fit(table)
        #expect(try drop.transform(table, training: true).features.shape == [8, 1])
        // Interpolated quartiles like numpy.percentile([1, 2, 3, 4], [25, 75]) = [1.75, 3.25]; k = 0 keeps them.
        let small = try TabularPipeline(steps: [.clipOutliers(columns: nil, method: .iqr(k: 0))])
            .fit(Table(columns: [num("x", [4, 1, 3, 2])]))
        #expect(small.steps[0].lower == [1.75])
        #expect(small.steps[0].upper == [3.25])
    }

    @Test func zscoreBounds() throws {
        // Nine 0s and a 10: mean 1, population variance (9 * 1 + 81) / 10 = 9, std 3.
        let table = Table(columns: [num("x", Array(repeating: 0, count: 9) + [10])])
        let strict = try TabularPipeline(steps: [try decodeStep(#"{"type": "clip_outliers", "method": "zscore", "threshold": 2}"#)]).fit(table)
        #expect(strict.steps[0].lower == [-5])
        #expect(strict.steps[0].upper == [7])
        #expect(try strict.transform(table, training: false).features.scalars.last == 7)
        // The default threshold 3 gives [-8, 10]: 10 is on the bound and is kept.
        let loose = try TabularPipeline(steps: [.dropOutliers(columns: ["x"], method: .zscore(threshold: 3))]).fit(table)
        #expect(loose.steps[0].upper == [10])
        #expect(try loose.transform(table, training: true).features.shape == [10, 1])
    }

    @Test func dropMissingAndDuplicatesInTrainingOnly() throws {
        let table = Table(columns: [
            num("a", [1, 1, nil, 2, 1]),
            cat("b", ["x", "x", "y", nil, "x"]),
            num("y", [0, 0, 1, 1, 0], .integer),
        ])
        let pipeline = TabularPipeline(steps: try decodeSteps("""
            [{"type": "drop_missing", "columns": ["a"]}, {"type": "drop_duplicates"},
             {"type": "impute", "columns": ["a"], "strategy": "mean"},
             {"type": "one_hot", "columns": ["b"], "unknown": "ignore"}]
            """), target: "y")
        let fitted = try pipeline.fit(table)
        // Training keeps rows 0 and 3 (row 2 misses a, rows 1 and 4 repeat row 0).
        let train = try fitted.transform(table, training: true)
        #expect(featureRows(train.features) == [[1, 1], [2, 0]])
        #expect(train.targets == .classes([0, 1]))
        // Inference keeps every row; the missing a is imputed with the training mean 1.5.
        let serve = try fitted.transform(table, training: false)
        #expect(featureRows(serve.features) == [[1, 1], [1, 1], [1.5, 0], [2, 0], [1, 1]])
    }

    @Test func inferenceNeverDropsRowsAndNamesUnimputedMissingValues() throws {
        let train = Table(columns: [num("a", [1, 2, 3, 4, 5, 6, 7, 8, 100]), num("b", [1, 2, 3, 4, 5, 6, 7, 8, 9])])
        let fitted = try TabularPipeline(steps: [.dropMissing(columns: nil), .dropDuplicates(columns: nil),
                                                 .dropOutliers(columns: nil, method: .iqr(k: 1.5))]).fit(train)
        let input = Table(columns: [num("a", [1, 1, 500]), num("b", [1, 1, 2])])
        #expect(try fitted.transform(input, training: false).features.shape == [3, 2])
        let missing = Table(columns: [num("a", [1, 2]), num("b", [1, nil])])
        #expect(throws: TabularError.missingValue(step: "features", column: "b", row: 1)) {
            try fitted.transform(missing, training: false)
        }
        #expect(errorMessage { _ = try fitted.transform(missing, training: false) }.contains("impute"))
        // Fitting on data whose missing values reach the end fails the same way.
        #expect(throws: TabularError.missingValue(step: "features", column: "b", row: 1)) {
            try TabularPipeline(steps: []).fit(missing)
        }
    }

    @Test func castBothWays() throws {
        let table = Table(columns: [cat("n", ["1.5", nil, "3"]), num("code", [7, 8, 7], .integer)])
        let fitted = try TabularPipeline(steps: try decodeSteps("""
            [{"type": "cast", "columns": ["n"], "to": "float"},
             {"type": "cast", "columns": ["code"], "to": "categorical"},
             {"type": "impute", "columns": ["n"], "strategy": "constant", "value": 0},
             {"type": "one_hot", "columns": ["code"]}]
            """)).fit(table)
        #expect(fitted.featureNames == ["n", "code=7", "code=8"])
        #expect(featureRows(try fitted.transform(table, training: false).features) == [[1.5, 1, 0], [0, 0, 1], [3, 1, 0]])
        #expect(throws: TabularError.invalidValue(step: "cast", column: "n", row: 0, reason: "'abc' is not a number")) {
            try TabularPipeline(steps: [.cast(columns: ["n"], to: .float)]).fit(Table(columns: [cat("n", ["abc"])]))
        }
    }

    @Test func logRejectsNonPositiveValues() throws {
        let table = Table(columns: [num("x", [1, M_E, 0])])
        #expect(throws: TabularError.self) { try TabularPipeline(steps: [.log(columns: ["x"], offset: 0)]).fit(table) }
        let message = errorMessage { _ = try TabularPipeline(steps: [.log(columns: ["x"], offset: 0)]).fit(table) }
        #expect(message.contains("'x'") && message.contains("row 2") && message.contains("offset"))
        let log1p = try TabularPipeline(steps: [try decodeStep(#"{"type": "log", "columns": ["x"], "offset": 1}"#)]).fit(table)
        let x = try log1p.transform(table, training: false).features
        #expect(near(x[0, 0], Float(log(2.0))) && x[2, 0] == 0)
    }

    @Test func rescale() throws {
        let fitted = try TabularPipeline(steps: [.rescale(columns: nil, scale: 0.5, offset: 1)]).fit(Table(columns: [num("x", [2, 4])]))
        #expect(try fitted.transform(Table(columns: [num("x", [10])]), training: false).features.scalars == [6])
    }

    @Test func datePartsFromStringsAndSeconds() throws {
        // 2024-02-29 was a Thursday (3), 2000-01-01 a Saturday (5), 1970-01-01 a Thursday.
        let table = Table(columns: [
            cat("day", ["2024-02-29", "2000-01-01T12:30:00Z", nil]),
            num("stamp", [0, 951_782_400, -86_400], .datetime),  // 1970-01-01, 2000-02-29, 1969-12-31
        ])
        let fitted = try TabularPipeline(steps: [
            .dateParts(columns: ["day", "stamp"]), .impute(columns: nil, strategy: .constant(.number(0))),
        ]).fit(table)
        #expect(fitted.featureNames == ["day_year", "day_month", "day_day", "day_weekday",
                                        "stamp_year", "stamp_month", "stamp_day", "stamp_weekday"])
        let x = featureRows(try fitted.transform(table, training: false).features)
        #expect(x[0] == [2024, 2, 29, 3, 1970, 1, 1, 3])
        #expect(x[1] == [2000, 1, 1, 5, 2000, 2, 29, 1])
        #expect(x[2] == [0, 0, 0, 0, 1969, 12, 31, 2])
        #expect(throws: TabularError.invalidValue(step: "date_parts", column: "day", row: 0, reason: "'2024-02-30' is not a YYYY-MM-DD date")) {
            try TabularPipeline(steps: [.dateParts(columns: ["day"])]).fit(Table(columns: [cat("day", ["2024-02-30"])]))
        }
    }
}
