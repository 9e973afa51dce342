import Foundation
import Testing
import TernData

/// Parses `text` with the given options, in one chunk and byte by byte
/// (every chunk boundary), and checks both give the same result.
func parseCSV(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> (table: Table, report: CSVReport) {
    try parseCSV(Array(text.utf8), options)
}

func parseCSV(_ bytes: [UInt8], _ options: CSVOptions = CSVOptions()) throws -> (table: Table, report: CSVReport) {
    let whole = try CSVReader.parse(bytes, options: options)
    var tiny = options
    tiny.chunkSize = 1
    let bytewise = try CSVReader.parse(bytes, options: tiny)
    #expect(bytewise.table == whole.table && bytewise.report == whole.report, "chunk boundaries change the result")
    return whole
}

/// The error `body` throws, or nil.
func csvError(_ body: () throws -> Any) -> CSVError? {
    do {
        _ = try body()
        return nil
    } catch let error as CSVError {
        return error
    } catch {
        return nil
    }
}

@Suite struct CSVReaderTests {
    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let csv = "id,text,note\n1,\"a, b\",\"say \"\"hi\"\"\"\n2,\"line one\nline two\",plain\n3,\"\",x\"y\n"
        let (table, report) = try parseCSV(csv)
        #expect(report == CSVReport(rows: 3, skippedRows: [], columns: 3))
        #expect(table["text"]?.values == .strings(["a, b", "line one\nline two", nil]), "a quoted empty field is missing")
        #expect(table["note"]?.values == .strings(["say \"hi\"", "plain", "x\"y"]), "a quote inside an unquoted field is literal")
        #expect(table["id"]?.type == .integer)
    }

    @Test func crlfAndLoneCRLineBreaks() throws {
        let crlf = try parseCSV("a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n")
        #expect(crlf.table["a"]?.values == .numbers([1, 2]))
        #expect(crlf.table["b"]?.values == .strings(["x\r\ny", "z"]), "a CRLF inside quotes is kept")
        let cr = try parseCSV("a,b\r1,x\r2,y")
        #expect(cr.report.rows == 2 && cr.table["b"]?.values == .strings(["x", "y"]))
    }

    @Test func lineNumbersCountBreaksInsideQuotes() throws {
        let csv = "a,b\r\n1,\"two\r\nlines\"\r\n2\r\n"
        #expect(csvError { try parseCSV(csv) } == .wrongFieldCount(line: 4, expected: 2, found: 1))
        #expect(CSVError.wrongFieldCount(line: 17, expected: 15, found: 14).description == "line 17: expected 15 fields, found 14")
    }

    @Test func byteOrderMarkIsStripped() throws {
        let (table, _) = try parseCSV([0xEF, 0xBB, 0xBF] + Array("name,n\nx,1\n".utf8))
        #expect(table.columnNames == ["name", "n"])
        #expect(csvError { try parseCSV([0xEF, 0xBB, 0xBF]) } == .empty)
        // A partial BOM is ordinary (invalid UTF-8) data, not dropped.
        #expect(csvError { try parseCSV([0xEF, 0xBB] + Array("a\n1\n".utf8)) } == .invalidUTF8(line: 1))
    }

    @Test func emptyFileHeaderOnlyAndBlankLines() throws {
        #expect(csvError { try parseCSV("") } == .empty)
        #expect(csvError { try parseCSV("\n\r\n  \n") } == .empty)
        let (table, report) = try parseCSV("a,b,c\n")
        #expect(report == CSVReport(rows: 0, skippedRows: [], columns: 3))
        #expect(table.columnNames == ["a", "b", "c"] && table.rowCount == 0)
        #expect(table.columns.allSatisfy { $0.type == .categorical }, "columns without values are categorical")
        let blanks = try parseCSV("a,b\n\n1,2\n   \n3,4")
        #expect(blanks.report.rows == 2 && blanks.table["b"]?.values == .numbers([2, 4]))
    }

    @Test func oneColumnFile() throws {
        let (table, report) = try parseCSV("value\n1.5\nNA\n\"\"\n2\n")
        #expect(report.rows == 4 && report.columns == 1)
        #expect(table["value"] == Column(name: "value", type: .float, values: .numbers([1.5, nil, nil, 2])))
    }

    @Test func raggedRowsFailOrSkip() throws {
        let csv = "a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n"
        #expect(csvError { try parseCSV(csv) } == .wrongFieldCount(line: 3, expected: 3, found: 2))
        var options = CSVOptions()
        options.malformedRows = .skip
        let (table, report) = try parseCSV(csv, options)
        #expect(report == CSVReport(rows: 2, skippedRows: [3, 5], columns: 3))
        #expect(table["c"]?.values == .numbers([3, 8]))
    }

    @Test func invalidUTF8NamesTheLine() throws {
        #expect(csvError { try parseCSV(Array("a,b\n1,x\n2,".utf8) + [0xFF, 0xFE] + Array("\n".utf8)) } == .invalidUTF8(line: 3))
        #expect(csvError { try parseCSV([0xFF, 0xFE, 0x41]) } == .invalidUTF8(line: 1))
        #expect(CSVError.invalidUTF8(line: 3).description.contains("line 3"))
    }

    @Test func unterminatedQuoteNamesTheLineItOpened() throws {
        #expect(csvError { try parseCSV("a,b\n1,2\n3,\"open\nmore\n") } == .unterminatedQuote(line: 3))
    }

    @Test func customDelimiterAndTrimming() throws {
        let (table, _) = try parseCSV("name; score ;when\n alice ; 1,5 ;2024-01-31\n\"bob \";2;2024-02-01\n",
                                      CSVOptions(delimiter: UInt8(ascii: ";")))
        #expect(table.columnNames == ["name", "score", "when"])
        #expect(table["name"]?.values == .strings(["alice", "bob "]), "unquoted fields are trimmed, quoted kept")
        #expect(table["score"]?.type == .categorical, "1,5 is not a number with ';' as delimiter")
        #expect(csvError { try CSVReader.parse([], options: CSVOptions(delimiter: UInt8(ascii: "\""))) } == .invalidDelimiter(34))
        let tabs = try parseCSV("a\tb\n\t2\n", CSVOptions(delimiter: UInt8(ascii: "\t")))
        #expect(tabs.table["a"]?.values == .strings([nil]) && tabs.table["b"]?.values == .numbers([2]))
    }

    @Test func missingTokens() throws {
        let (table, _) = try parseCSV("x,y\nNA,1\nN/A,NaN\nnull,nan\nNULL,None\n,2\n?,3\n")
        #expect(table["x"]?.values == .strings([nil, nil, nil, nil, nil, "?"]))
        #expect(table["y"]?.values == .numbers([1, nil, nil, nil, 2, 3]))
        var options = CSVOptions()
        options.missingTokens = ["?"]
        let custom = try parseCSV("x\n?\n\n1\n", options)
        #expect(custom.table["x"]?.values == .numbers([nil, 1]), "the blank line is skipped, '?' is missing")
    }

    @Test func typeInference() throws {
        let csv = """
            i,f,b,d,t,s,mixed,late
            1,1,true,2024-01-31,2024-01-31T12:00:00Z,a,1,1
            -2,2.5,False,2024-02-29,2024-01-31T12:00:00,b,x,2
            +3,-1e3,yes,1969-12-31,2024-01-31 13:30:00+01:00,1,2,2024-01-01
            ,.5,NO,,,,,
            """
        let (table, _) = try parseCSV(csv)
        #expect(table["i"] == Column(name: "i", type: .integer, values: .numbers([1, -2, 3, nil])))
        #expect(table["f"] == Column(name: "f", type: .float, values: .numbers([1, 2.5, -1000, 0.5])))
        #expect(table["b"] == Column(name: "b", type: .boolean, values: .numbers([1, 0, 1, 0])))
        #expect(table["d"] == Column(name: "d", type: .datetime, values: .numbers([1_706_659_200, 1_709_164_800, -86_400, nil])))
        #expect(table["t"] == Column(name: "t", type: .datetime, values: .numbers([1_706_702_400, 1_706_702_400, 1_706_704_200, nil])))
        #expect(table["s"] == Column(name: "s", type: .categorical, values: .strings(["a", "b", "1", nil])))
        // Columns that start numeric and turn categorical keep their exact text.
        #expect(table["mixed"] == Column(name: "mixed", type: .categorical, values: .strings(["1", "x", "2", nil])))
        #expect(table["late"] == Column(name: "late", type: .categorical, values: .strings(["1", "2", "2024-01-01", nil])))
    }

    @Test func valuesThatAreNotNumbers() throws {
        let (table, _) = try parseCSV("a,b,c,d,e\n0x10,inf,1e999,2024-02-30,1e\n")
        #expect(table.columns.allSatisfy { $0.type == .categorical }, "\(table.columns.map(\.type))")
        // Integers too large for 64 bits are floats.
        let (floats, _) = try parseCSV("a,b\n99999999999999999999.5,99999999999999999999\n0.1,1\n1.23456789012345678901234e23,2\n")
        #expect(floats["a"]?.values == .numbers([99999999999999999999.5, 0.1, 1.23456789012345678901234e23]))
        #expect(floats["b"] == Column(name: "b", type: .float, values: .numbers([1e20, 1, 2])))
    }

    @Test func headerNames() throws {
        #expect(csvError { try parseCSV("a,,b\n1,2,3\n") } == .emptyColumnName(column: 2))
        #expect(csvError { try parseCSV("a,b,a\n1,2,3\n") } == .duplicateColumnName("a", column: 3, firstColumn: 1))
        #expect(CSVError.emptyColumnName(column: 2).description.contains("empty column name"))
        var options = CSVOptions()
        options.hasHeader = false
        let (table, report) = try parseCSV("1,x\n2,y\n", options)
        #expect(table.columnNames == ["column_1", "column_2"] && report.rows == 2)
    }

    @Test func limits() throws {
        var options = CSVOptions()
        options.maxColumns = 3
        #expect(csvError { try parseCSV("a,b,c\n1,2,3,4\n", options) } == .tooManyColumns(line: 2, limit: 3))
        options = CSVOptions()
        options.maxFieldBytes = 8
        #expect(csvError { try parseCSV("a\n\"123456789\n", options) } == .fieldTooLong(line: 2, limit: 8))
        let wide = (1...10_001).map { "c\($0)" }.joined(separator: ",")
        #expect(csvError { try CSVReader.parse(Array(wide.utf8)) } == .tooManyColumns(line: 1, limit: 10_000))
    }

    @Test func fileErrorsNameOnlyTheFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let missing = dir.url.appendingPathComponent("absent.csv")
        let error = csvError { try CSVReader.read(contentsOf: missing) }
        #expect(error == .fileNotFound(name: "absent.csv"))
        #expect(error?.description.contains(dir.url.path) == false)
        #expect(csvError { try CSVReader.read(contentsOf: dir.url) } == .unreadable(name: dir.url.lastPathComponent, reason: "it is a directory"))
        // A column turning categorical late is read twice; the file path works too.
        let file = try dir.write(Array("n,m\n1,1\n2,two\n".utf8), to: "mixed.csv")
        var options = CSVOptions()
        options.chunkSize = 3
        let (table, _) = try CSVReader.read(contentsOf: file, options: options)
        #expect(table["m"]?.values == .strings(["1", "two"]) && table["n"]?.values == .numbers([1, 2]))
    }
}
