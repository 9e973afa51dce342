import Foundation
import TernTesting
import Testing
import TernData

/// The tabular files: `Data/tabular` (or `$TERN_DATA_DIR/tabular`).
let sharedTabularDirectory = TestPaths.tabularDirectory

func tabularFile(_ name: String) -> URL { sharedTabularDirectory.appendingPathComponent(name) }
func haveTabular(_ name: String) -> Bool { FileManager.default.fileExists(atPath: tabularFile(name).path) }

/// The real files of Data/tabular. Golden numbers were counted
/// independently with Python's `csv` module (`csv.DictReader`, a value being
/// missing when it is one of the default missing tokens) and, for the
/// statistics, `statistics.mean`/`statistics.stdev` and linear-interpolation
/// quantiles over the sorted values.
@Suite struct CSVRealFilesTests {
    @Test(.enabled(if: haveTabular("titanic.csv"))) func titanic() throws {
        let (table, report) = try CSVReader.read(contentsOf: tabularFile("titanic.csv"))
        // Python: 891 data rows, 15 header fields, every row 15 fields.
        #expect(report == CSVReport(rows: 891, skippedRows: [], columns: 15))
        #expect(table.rowCount == 891)
        let types = Dictionary(uniqueKeysWithValues: table.columns.map { ($0.name, $0.type) })
        #expect(types == ["survived": .integer, "pclass": .integer, "sex": .categorical, "age": .float, "sibsp": .integer,
                          "parch": .integer, "fare": .float, "embarked": .categorical, "class": .categorical,
                          "who": .categorical, "adult_male": .boolean, "deck": .categorical, "embark_town": .categorical,
                          "alive": .boolean, "alone": .boolean])
        let p = profile(table)
        // Python: age has 177 empty fields, 714 values, mean 29.699117647058824,
        // stdev 14.526497332334042, quartiles 20.125 / 28.0 / 38.0, min 0.42, max 80.
        let age = try #require(p["age"])
        #expect(age.missing == 177 && age.count == 714 && age.distinct == 88)
        #expect(abs((age.mean ?? 0) - 29.699117647058824) < 1e-9 && abs((age.std ?? 0) - 14.526497332334042) < 1e-9)
        #expect(age.p25 == 20.125 && age.p50 == 28 && age.p75 == 38 && age.min == 0.42 && age.max == 80)
        #expect(age.histogram?.counts.reduce(0, +) == 714)
        // Python: sex male 577, female 314; deck 688 missing, C most frequent (59).
        #expect(p["sex"]?.top == [ValueCount(value: "male", count: 577), ValueCount(value: "female", count: 314)])
        #expect(p["deck"]?.missing == 688 && p["deck"]?.top?.first == ValueCount(value: "C", count: 59))
        #expect(p["embarked"]?.missing == 2 && p["survived"]?.distinct == 2)
    }

    @Test(.enabled(if: haveTabular("penguins.csv"))) func penguins() throws {
        let (table, report) = try CSVReader.read(contentsOf: tabularFile("penguins.csv"))
        // Python: 344 rows, 7 columns; species Adelie 152, Gentoo 124, Chinstrap 68;
        // 2 missing in each measurement ("NA"), 11 missing sex.
        #expect(report.rows == 344 && report.columns == 7)
        let p = profile(table)
        #expect(p["species"]?.distinct == 3)
        #expect(p["species"]?.top == [ValueCount(value: "Adelie", count: 152), ValueCount(value: "Gentoo", count: 124),
                                      ValueCount(value: "Chinstrap", count: 68)])
        #expect(p["bill_length_mm"]?.type == .float && p["bill_length_mm"]?.missing == 2)
        #expect(p["body_mass_g"]?.type == .integer && p["sex"]?.missing == 11)
    }

    @Test(.enabled(if: haveTabular("mpg.csv"))) func mpg() throws {
        let (table, report) = try CSVReader.read(contentsOf: tabularFile("mpg.csv"))
        // Python: 398 rows, 9 columns; horsepower has 6 empty fields.
        #expect(report.rows == 398 && report.columns == 9)
        let horsepower = try #require(table["horsepower"])
        #expect(horsepower.type == .float)
        #expect((0..<horsepower.count).filter(horsepower.values.isMissing).count == 6)
        #expect(table["origin"]?.type == .categorical && table["cylinders"]?.type == .integer)
    }

    @Test(.enabled(if: haveTabular("iris.csv"))) func iris() throws {
        let (table, _) = try CSVReader.read(contentsOf: tabularFile("iris.csv"))
        // Python: 150 rows, 3 species of 50.
        #expect(table.rowCount == 150)
        #expect(profile(table)["species"]?.top?.map(\.count) == [50, 50, 50])
    }

    @Test(.enabled(if: haveTabular("diamonds.csv"))) func diamondsQuicklyAndAsNumbers() throws {
        let clock = ContinuousClock()
        var result: (table: Table, report: CSVReport)?
        let elapsed = try clock.measure { result = try CSVReader.read(contentsOf: tabularFile("diamonds.csv")) }
        let (table, report) = try #require(result)
        print("diamonds.csv: \(report.rows) rows x \(report.columns) columns parsed in \(elapsed)")
        #expect(elapsed < .seconds(3))
        // Python: 53,940 rows, 10 columns; price min 326, max 18823,
        // mean 3932.799721913237, median 2401; cut Ideal 21551 ... Fair 1610.
        #expect(report == CSVReport(rows: 53_940, skippedRows: [], columns: 10))
        // Streaming: numeric columns hold Doubles, never strings; only the
        // three quoted categoricals hold strings.
        for name in ["carat", "depth", "table", "price", "x", "y", "z"] {
            guard case .numbers = table[name]?.values else { Issue.record("\(name) is not stored as numbers"); continue }
        }
        #expect(table.columns.filter { $0.type == .categorical }.map(\.name) == ["cut", "color", "clarity"])
        let profileStart = clock.now
        let p = profile(table)
        print("diamonds.csv profiled in \(clock.now - profileStart)")
        let price = try #require(p["price"])
        #expect(price.type == .integer && price.min == 326 && price.max == 18_823 && price.p50 == 2401)
        #expect(abs((price.mean ?? 0) - 3932.799721913237) < 1e-6)
        #expect(p["cut"]?.top?.map(\.count) == [21_551, 13_791, 12_082, 4_906, 1_610])
        // Python: 10 equal bins over carat 0.2 ... 5.01.
        #expect(p["carat"]?.histogram?.counts == [25_155, 18_626, 7_129, 2_349, 614, 53, 6, 5, 2, 1])
    }
}
