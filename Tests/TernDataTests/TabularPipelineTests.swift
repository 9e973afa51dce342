import Foundation
import Testing
import TernData
import TernTensor

@Suite struct TabularPipelineTests {
    /// A small Titanic-like table: age (missing once), fare, sex, survived.
    let titanic = Table(columns: [
        num("age", [22, nil, 26, 35, 54, 2]),
        num("fare", [7.25, 71.28, 7.93, 53.1, 51.86, 21.08]),
        cat("sex", ["male", "female", "female", "female", "male", "male"]),
        num("survived", [0, 1, 1, 1, 0, 0], .integer),
    ])

    /// A pipeline that drops every feature (or every row) is a clear error
    /// at fit, not a network with no inputs (which trapped in the GEMM).
    @Test func aPipelineLeavingNoFeaturesOrRowsIsRefused() throws {
        let noFeatures = TabularPipeline(steps: try decodeSteps("""
            [{"type": "drop_columns", "columns": ["age", "fare", "sex"]}]
            """), target: "survived")
        #expect(throws: TabularError.invalidSpec(step: "pipeline", reason: "the steps leave no feature column besides the target")) {
            try noFeatures.fit(titanic)
        }
        let noRows = TabularPipeline(steps: try decodeSteps("""
            [{"type": "drop_missing"}, {"type": "drop_outliers", "columns": ["fare"], "method": "zscore", "threshold": 0.0001}]
            """), target: "survived")
        #expect(throws: TabularError.self) { try noRows.fit(titanic) }
    }

    @Test func firstFitAndTransform() throws {
        let pipeline = TabularPipeline(steps: try decodeSteps("""
            [{"type": "impute", "columns": ["age"], "strategy": "median"},
             {"type": "standard_scale"},
             {"type": "one_hot", "columns": ["sex"]}]
            """), target: "survived")
        let fitted = try pipeline.fit(titanic)
        #expect(fitted.featureNames == ["age", "fare", "sex=female", "sex=male"])
        #expect(fitted.classLabels == ["0", "1"])
        let (x, y) = try fitted.transform(titanic, training: true)
        #expect(x.shape == [6, 4])
        #expect(y == .classes([0, 1, 1, 1, 0, 0]))
        #expect(featureRows(x).map { Array($0[2...]) } == [[0, 1], [1, 0], [1, 0], [1, 0], [0, 1], [0, 1]])
        // Median of the present ages 2, 22, 26, 35, 54 is 26.
        #expect(fitted.steps[0].fills == [.number(26)])
    }

    @Test func standardScaleValues() throws {
        // [1, 2, 3, 4]: mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
        let table = Table(columns: [num("x", [1, 2, 3, 4])])
        let fitted = try TabularPipeline(steps: [.standardScale(columns: nil)]).fit(table)
        #expect(fitted.steps[0].centers == [2.5])
        #expect(near(fitted.steps[0].scales?[0] ?? 0, 1.25.squareRoot()))
        let x = try fitted.transform(table, training: false).features
        #expect(near(x[0, 0], -1.3416408))  // -1.5 / 1.1180340
        #expect(near(x[3, 0], 1.3416408))
    }

    @Test func constantColumnIsOnlyCentred() throws {
        let table = Table(columns: [num("x", [5, 5, 5]), num("y", [2, 4, 10])])
        let fitted = try TabularPipeline(steps: [.standardScale(columns: ["x"]), .minMaxScale(columns: ["y"])]).fit(table)
        #expect(fitted.steps[0].scales == [1])
        // min 2, range 8: 4 -> 0.25, 10 -> 1.
        #expect(fitted.steps[1].centers == [2])
        #expect(fitted.steps[1].scales == [8])
        let x = featureRows(try fitted.transform(table, training: false).features)
        #expect(x == [[0, 0], [0, 0.25], [0, 1]])
    }

    @Test func fitsOnTrainingRowsOnly() throws {
        let all = Table(columns: [num("x", [1, 2, 3, 100])])
        let train = all.rows([0, 1, 2])
        let test = all.rows([3])
        let fitted = try TabularPipeline(steps: [.standardScale(columns: nil)]).fit(train)
        // Training mean 2, population std sqrt(2/3); the test row uses them: (100 - 2) / 0.8164966.
        #expect(fitted.steps[0].centers == [2])
        #expect(near(try fitted.transform(test, training: false).features[0, 0], 120.02450))
    }

    @Test func oneHotNamesSortedCategories() throws {
        let table = Table(columns: [cat("color", ["red", "blue", nil, "green"]), num("pclass", [3, 1, 2, 1], .integer)])
        let fitted = try TabularPipeline(steps: [.oneHot(columns: ["color", "pclass"], unknown: .ignore)]).fit(table)
        #expect(fitted.featureNames == ["color=blue", "color=green", "color=red", "pclass=1", "pclass=2", "pclass=3"])
        // A missing value encodes as all zeros.
        #expect(featureRows(try fitted.transform(table, training: false).features)[2] == [0, 0, 0, 0, 1, 0])
    }

    @Test func unknownCategoryIgnoreVersusError() throws {
        let train = Table(columns: [cat("sex", ["male", "female"])])
        let test = Table(columns: [cat("sex", ["other", "female"])])
        let ignoring = try TabularPipeline(steps: [.oneHot(columns: ["sex"], unknown: .ignore)]).fit(train)
        #expect(featureRows(try ignoring.transform(test, training: false).features) == [[0, 0], [1, 0]])
        let strict = try TabularPipeline(steps: [try decodeStep(#"{"type": "one_hot", "columns": ["sex"]}"#)]).fit(train)
        #expect(throws: TabularError.unknownCategory(step: "one_hot", column: "sex", value: "other")) {
            try strict.transform(test, training: false)
        }
    }

    @Test func ordinalFollowsTheGivenOrder() throws {
        let cut = try decodeStep("""
            {"type": "ordinal", "order": {"cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"]}}
            """)
        let table = Table(columns: [cat("cut", ["Ideal", "Fair", "Very Good", nil, "Premium"]), num("price", [1, 2, 3, 4, 5])])
        let pipeline = TabularPipeline(steps: [cut, .impute(columns: ["cut"], strategy: .constant(.number(-2)))], target: "price")
        let fitted = try pipeline.fit(table)
        #expect(fitted.steps[0].categories == [["Fair", "Good", "Very Good", "Premium", "Ideal"]])
        #expect(try fitted.transform(table, training: false).features.scalars == [4, 0, 2, -2, 3])
        let odd = Table(columns: [cat("cut", ["Superb"])])
        #expect(throws: TabularError.unknownCategory(step: "ordinal", column: "cut", value: "Superb")) {
            try fitted.transform(odd, training: false)
        }
        let lenient = try TabularPipeline(steps: [.ordinal(columns: ["cut"], order: [:], unknown: .ignore)])
            .fit(Table(columns: [cat("cut", ["Ideal", "Fair"])]))
        // Without an order the sorted training categories are used: Fair 0, Ideal 1; unknown -> -1.
        #expect(try lenient.transform(Table(columns: [cat("cut", ["Ideal", "Good"])]), training: false).features.scalars == [1, -1])
    }

    @Test func categoricalFeatureLeftIsAnErrorAtFit() {
        #expect(throws: TabularError.categoricalFeature(column: "sex")) {
            try TabularPipeline(steps: [.impute(columns: ["age"], strategy: .mean)], target: "survived").fit(titanic)
        }
        #expect(errorMessage { _ = try TabularPipeline(steps: [], target: "survived").fit(titanic.dropping(["age"])) }
            .contains("one_hot"))
    }

    @Test func targetLabelEncodingIsSorted() throws {
        let iris = Table(columns: [num("x", [1, 2, 3, 4]), cat("species", ["virginica", "setosa", "versicolor", "setosa"])])
        let fitted = try TabularPipeline(steps: [], target: "species").fit(iris)
        #expect(fitted.classLabels == ["setosa", "versicolor", "virginica"])
        #expect(try fitted.transform(iris, training: false).targets == .classes([2, 0, 1, 0]))
        #expect(fitted.decodeClass(1) == "versicolor")
        #expect(fitted.decodeClass(7) == "7")
        // Integer labels sort numerically: 10 after 3.
        let grades = Table(columns: [num("x", [1, 2, 3, 4]), num("grade", [3, 10, 1, 2], .integer)])
        let g = try TabularPipeline(steps: [], target: "grade").fit(grades)
        #expect(g.classLabels == ["1", "2", "3", "10"])
        #expect(try g.transform(grades, training: false).targets == .classes([2, 3, 0, 1]))
        let flags = Table(columns: [num("x", [1, 2]), num("ok", [1, 0], .boolean)])
        #expect(try TabularPipeline(steps: [], target: "ok").fit(flags).classLabels == ["false", "true"])
    }

    @Test func targetKindInference() throws {
        let many = Table(columns: [num("x", (0..<30).map(Double.init)), num("y", (0..<30).map(Double.init), .integer)])
        #expect(try TabularPipeline(steps: [], target: "y").fit(many).classLabels == nil)
        #expect(try TabularPipeline(steps: [], target: "y", classification: true).fit(many).classLabels?.count == 30)
        let few = Table(columns: [num("x", [1, 2, 3]), num("y", [0, 1, 0], .integer)])
        let regression = try TabularPipeline(steps: [], target: "y", classification: false).fit(few)
        #expect(regression.classLabels == nil)
        #expect(try regression.transform(few, training: false).targets == .values([0, 1, 0]))
        let floats = Table(columns: [num("x", [1, 2, 3]), num("y", [0.5, 1, 0])])
        #expect(try TabularPipeline(steps: [], target: "y").fit(floats).classLabels == nil)
    }

    @Test func stepsTransformTheTargetToo() throws {
        let diamonds = Table(columns: [num("carat", [0.3, 1.2]), num("price", [exp(6), exp(9)])])
        let fitted = try TabularPipeline(steps: [.log(columns: ["price"], offset: 0)], target: "price").fit(diamonds)
        #expect(fitted.featureNames == ["carat"])
        guard case let .values(y)? = try fitted.transform(diamonds, training: false).targets else {
            Issue.record("expected regression targets"); return
        }
        #expect(near(y[0], 6) && near(y[1], 9))
        // Serving inputs have no target: the log step skips it.
        let serving = try fitted.transform(diamonds.dropping(["price"]), training: false)
        #expect(serving.targets == nil)
        #expect(serving.features.shape == [2, 1])
    }

    @Test func unseenClassLabelIsAnError() throws {
        let fitted = try TabularPipeline(steps: [], target: "y").fit(Table(columns: [num("x", [1, 2]), cat("y", ["a", "b"])]))
        #expect(throws: TabularError.unknownCategory(step: "target", column: "y", value: "c")) {
            try fitted.transform(Table(columns: [num("x", [1]), cat("y", ["c"])]), training: false)
        }
    }

    @Test func inferenceConformsInputs() throws {
        let fitted = try TabularPipeline(steps: [.oneHot(columns: ["pclass"], unknown: .error)], target: "y")
            .fit(Table(columns: [num("pclass", [1, 2, 3], .integer), num("fare", [1, 2, 3]), num("y", [0, 1, 0], .integer)]))
        // Extra columns are ignored, columns may come in any order, numbers may come as text.
        let input = Table(columns: [cat("fare", ["2.5"]), cat("name", ["Ann"]), num("pclass", [2], .integer)])
        #expect(try fitted.transform(input, training: false).features.scalars == [0, 1, 0, 2.5])
        #expect(throws: TabularError.missingColumn(step: "input", column: "fare")) {
            try fitted.transform(Table(columns: [num("pclass", [2], .integer)]), training: false)
        }
        #expect(throws: TabularError.invalidValue(step: "input", column: "fare", row: 0, reason: "'cheap' is not float as in training")) {
            try fitted.transform(Table(columns: [cat("fare", ["cheap"]), num("pclass", [2], .integer)]), training: false)
        }
    }
}
