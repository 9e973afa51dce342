import Foundation
import Testing
import TernData

@Suite struct ProfileTests {
    @Test func numericStatistics() throws {
        let table = Table(columns: [Column(name: "x", type: .float, values: .numbers([1, 2, nil, 3, 4, 10]))])
        let p = profile(table)
        #expect(p.rows == 6)
        let x = try #require(p["x"])
        #expect(x.count == 5 && x.missing == 1 && x.distinct == 5)
        #expect(x.min == 1 && x.max == 10 && x.mean == 4)
        #expect(abs((x.std ?? 0) - 3.5355339059327378) < 1e-12, "sample standard deviation")
        #expect(x.p25 == 2 && x.p50 == 3 && x.p75 == 4)
        let h = try #require(x.histogram)
        #expect(h.edges.count == 11 && h.edges.first == 1 && h.edges.last == 10)
        #expect(h.counts == [1, 1, 1, 1, 0, 0, 0, 0, 0, 1])
        #expect(x.top == nil)
    }

    @Test func constantEmptyAndSingleValueColumns() throws {
        let p = profile(Table(columns: [
            Column(name: "c", type: .integer, values: .numbers([5, 5, 5])),
            Column(name: "none", type: .float, values: .numbers([nil, nil, nil])),
            Column(name: "one", type: .float, values: .numbers([nil, 2, nil])),
        ]))
        #expect(p["c"]?.histogram == Histogram(edges: (0...10).map { 4.5 + Double($0) * 0.1 }.enumerated().map { $0.offset == 10 ? 5.5 : $0.element },
                                               counts: [0, 0, 0, 0, 0, 3, 0, 0, 0, 0]))
        #expect(p["c"]?.std == 0 && p["c"]?.distinct == 1)
        #expect(p["none"]?.count == 0 && p["none"]?.missing == 3 && p["none"]?.mean == nil && p["none"]?.histogram == nil)
        #expect(p["one"]?.mean == 2 && p["one"]?.std == nil && p["one"]?.p75 == 2)
    }

    @Test func categoricalAndBooleanTopValues() throws {
        let values = (0..<30).map { i -> String? in i % 10 == 0 ? nil : "v\(i % 12)" }
        let p = profile(Table(columns: [
            Column(name: "s", type: .categorical, values: .strings(values)),
            Column(name: "b", type: .boolean, values: .numbers([1, 0, 1, nil])),
        ]))
        let s = try #require(p["s"])
        // Python's Counter: 12 distinct; v1...v5 three times, v0 v6 v7 v9 v11 twice, v8 v10 once.
        #expect(s.missing == 3 && s.count == 27 && s.distinct == 12)
        #expect(s.top?.map(\.value) == ["v1", "v2", "v3", "v4", "v5", "v0", "v11", "v6", "v7", "v9"], "by count, ties by value")
        #expect(s.top?.map(\.count) == [3, 3, 3, 3, 3, 2, 2, 2, 2, 2])
        #expect(s.min == nil && s.histogram == nil)
        #expect(p["b"]?.top == [ValueCount(value: "true", count: 2), ValueCount(value: "false", count: 1)])
        #expect(p["b"]?.mean == 2.0 / 3)
    }

    @Test func jsonKeysAndRoundTrip() throws {
        let (table, _) = try CSVReader.parse(Array("n,s,d\n1,a,2024-01-31\n2,,2024-02-01\n".utf8))
        let p = profile(table)
        let data = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(TableProfile.self, from: data) == p)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((object["columns"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["name", "type", "count", "missing", "distinct", "min", "max", "mean", "std",
                                    "p25", "p50", "p75", "histogram"])
        #expect(first["type"] as? String == "integer")
    }

    @Test func renderedTableIsAligned() throws {
        let (table, _) = try CSVReader.parse(Array("""
            name,age,when,ok
            alice,30.5,2024-01-31,true
            bob,,2024-02-01T06:00:00Z,false
            alice,41,,yes
            """.utf8))
        let text = profile(table).render()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "3 rows, 4 columns")
        #expect(lines.count == 6)
        #expect(lines[1].hasPrefix("column") && lines[1].contains("missing") && lines[1].contains("top"))
        let name = try #require(lines.first { $0.hasPrefix("name ") })
        #expect(name.contains("categorical") && name.contains("alice (2)"))
        let age = try #require(lines.first { $0.hasPrefix("age ") })
        #expect(age.contains("30.5") && age.contains("35.75") && age.contains("41"))
        let when = try #require(lines.first { $0.hasPrefix("when ") })
        #expect(when.contains("2024-01-31") && when.contains("2024-02-01T06:00:00Z"))
        // Columns line up: "type" starts at the same offset on every line.
        let typeColumn = try #require(lines[1].range(of: "type")).lowerBound.utf16Offset(in: lines[1])
        for line in lines.dropFirst(2) {
            let index = line.index(line.startIndex, offsetBy: typeColumn)
            #expect(line[line.index(before: index)] == " " && line[index] != " ", "\(line)")
        }
        print(text)
    }
}
