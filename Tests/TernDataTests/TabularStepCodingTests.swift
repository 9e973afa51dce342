import Foundation
import Testing
import TernData
import TernTensor

@Suite struct TabularStepCodingTests {
    /// Every step's JSON form, as written in a model spec.
    static let specs = [
        #"{"type": "drop_missing"}"#,
        #"{"type": "drop_missing", "columns": ["age"]}"#,
        #"{"type": "impute", "columns": ["age"], "strategy": "median"}"#,
        #"{"type": "impute", "strategy": "constant", "value": "none"}"#,
        #"{"type": "drop_duplicates"}"#,
        #"{"type": "clip_outliers", "columns": ["fare"], "method": "iqr", "k": 3}"#,
        #"{"type": "drop_outliers", "method": "zscore", "threshold": 2.5}"#,
        #"{"type": "drop_columns", "columns": ["name"]}"#,
        #"{"type": "cast", "columns": ["zip"], "to": "categorical"}"#,
        #"{"type": "standard_scale"}"#,
        #"{"type": "minmax_scale", "columns": ["x"]}"#,
        #"{"type": "rescale", "columns": ["x"], "scale": 0.5, "offset": 1}"#,
        #"{"type": "one_hot", "columns": ["sex"], "unknown": "ignore"}"#,
        #"{"type": "ordinal", "order": {"cut": ["Fair", "Good"]}, "unknown": "ignore"}"#,
        #"{"type": "log", "columns": ["price"], "offset": 1}"#,
        #"{"type": "date_parts", "columns": ["date"]}"#,
    ]

    @Test(arguments: specs) func roundTripsEveryStep(_ json: String) throws {
        let step = try decodeStep(json)
        let again = try JSONDecoder().decode(TabularStep.self, from: JSONEncoder().encode(step))
        #expect(again == step)
    }

    @Test func decodesDefaults() throws {
        #expect(try decodeStep(#"{"type": "clip_outliers"}"#) == .clipOutliers(columns: nil, method: .iqr(k: 1.5)))
        #expect(try decodeStep(#"{"type": "drop_outliers", "method": "zscore"}"#) == .dropOutliers(columns: nil, method: .zscore(threshold: 3)))
        #expect(try decodeStep(#"{"type": "one_hot", "columns": ["a"]}"#) == .oneHot(columns: ["a"], unknown: .error))
        #expect(try decodeStep(#"{"type": "log", "columns": ["a"]}"#) == .log(columns: ["a"], offset: 0))
        #expect(try decodeStep(#"{"type": "impute", "strategy": "constant", "value": 0}"#)
            == .impute(columns: nil, strategy: .constant(.number(0))))
    }

    @Test(arguments: [
        (#"{"type": "scale"}"#, "unknown step type 'scale'"),
        (#"{"type": "impute", "strategy": "mean", "colums": ["a"]}"#, "unknown key 'colums'"),
        (#"{"type": "impute", "columns": ["a"]}"#, "missing 'strategy'"),
        (#"{"type": "impute", "strategy": "avg"}"#, "unknown strategy 'avg'"),
        (#"{"type": "impute", "strategy": "constant"}"#, "missing 'value'"),
        (#"{"type": "impute", "strategy": "mean", "value": 1}"#, "'value' is only for strategy 'constant'"),
        (#"{"type": "clip_outliers", "method": "zscore", "k": 2}"#, "'k' is for method 'iqr'"),
        (#"{"type": "clip_outliers", "method": "mad"}"#, "unknown method 'mad'"),
        (#"{"type": "drop_columns"}"#, "missing 'columns'"),
        (#"{"type": "drop_columns", "columns": "name"}"#, "'columns' must be a list"),
        (#"{"type": "drop_columns", "columns": []}"#, "'columns' is empty"),
        (#"{"type": "cast", "columns": ["a"]}"#, "missing 'to'"),
        (#"{"type": "cast", "columns": ["a"], "to": "int"}"#, "unknown to 'int'"),
        (#"{"type": "rescale"}"#, "missing 'scale'"),
        (#"{"type": "one_hot", "columns": ["a"], "unknown": "skip"}"#, "unknown unknown 'skip'"),
        (#"{"type": "ordinal"}"#, "needs 'columns' or 'order'"),
        (#"{"type": "ordinal", "order": {"cut": ["a", "a"]}}"#, "without repeats"),
        (#"{"columns": ["a"]}"#, "needs a string 'type'"),
        (#"["standard_scale"]"#, "must be a JSON object"),
    ])
    func rejectsStrictly(_ json: String, _ expected: String) {
        let message = errorMessage { _ = try decodeStep(json) }
        #expect(message.contains(expected), "\(message)")
    }

    @Test func errorsNameTheStep() {
        #expect(throws: TabularError.invalidSpec(
            step: "standard_scale", reason: "unknown key 'with_mean' (known: columns)")) {
            try decodeStep(#"{"type": "standard_scale", "with_mean": true}"#)
        }
    }

    @Test func fittedPipelineRoundTripsBitIdentically() throws {
        let n = 200
        var rng = SeededGenerator(seed: 7)
        let table = Table(columns: [
            num("x", (0..<n).map { i in i % 17 == 0 ? nil : Double(rng.nextNormal()) * 3 + 1 }),
            num("w", (0..<n).map { _ in Double(rng.nextFloat(in: 1, 100)) }),
            cat("c", (0..<n).map { i in i % 13 == 0 ? nil : ["a", "b", "c"][i % 3] }),
            cat("q", (0..<n).map { ["low", "mid", "high"][$0 % 3] }),
            cat("d", (0..<n).map { "2023-\(String(format: "%02d", $0 % 12 + 1))-15" }),
            num("y", (0..<n).map { Double($0 % 4) }, .integer),
        ])
        let pipeline = TabularPipeline(steps: try decodeSteps("""
            [{"type": "impute", "columns": ["x"], "strategy": "median"},
             {"type": "clip_outliers", "columns": ["x"]},
             {"type": "log", "columns": ["w"]},
             {"type": "standard_scale", "columns": ["x", "w"]},
             {"type": "one_hot", "columns": ["c"], "unknown": "ignore"},
             {"type": "ordinal", "order": {"q": ["low", "mid", "high"]}},
             {"type": "date_parts", "columns": ["d"]},
             {"type": "minmax_scale", "columns": ["d_month"]}]
            """), target: "y")
        let fitted = try pipeline.fit(table)
        let data = try JSONEncoder().encode(fitted)
        let decoded = try JSONDecoder().decode(FittedTabularPipeline.self, from: data)
        #expect(decoded == fitted)
        let a = try fitted.transform(table, training: false)
        let b = try decoded.transform(table, training: false)
        #expect(a.features.scalars.map(\.bitPattern) == b.features.scalars.map(\.bitPattern))
        #expect(a.targets == b.targets)
        #expect(decoded.featureNames.count == 1 + 1 + 3 + 1 + 4)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""type":"standard_scale""#))
    }

    @Test func pipelineSpecDecodes() throws {
        let spec = """
            {"steps": [{"type": "standard_scale"}], "target": "price", "classification": false}
            """
        let pipeline = try JSONDecoder().decode(TabularPipeline.self, from: Data(spec.utf8))
        #expect(pipeline == TabularPipeline(steps: [.standardScale(columns: nil)], target: "price", classification: false))
    }
}

@Suite struct TabularPipelineSpecTests {
    @Test func rejectsUnknownPipelineKeys() {
        let message = errorMessage {
            _ = try JSONDecoder().decode(TabularPipeline.self, from: Data(#"{"steps": [], "traget": "y"}"#.utf8))
        }
        #expect(message.contains("unknown key 'traget'"))
    }
}
