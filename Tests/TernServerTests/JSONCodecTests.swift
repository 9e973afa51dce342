import Foundation
import Testing
@testable import TernServer
import TernSupport

@Suite struct JSONCodecTests {
    func parse(_ text: String, depth: Int = 64) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: depth)
    }

    @Test func scalarsAndContainers() throws {
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("null") == .null)
        #expect(try parse("-12") == .int(-12))
        #expect(try parse("1.5e2") == .double(150))
        #expect(try parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try parse("[1, 2.5, -3]") == .numbers([1, 2.5, -3]))
        #expect(try parse("[1, \"a\"]") == .array([.double(1), .string("a")]))
        #expect(try parse("[]") == .numbers([]))
        #expect(try parse("{\"a\": {\"b\": [true]}}") == .object(["a": .object(["b": .array([.bool(true)])])]))
    }

    @Test func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        for bad in [#""\ud800""#, #""\udc00x""#, #""\x""#, "\"a\u{01}b\"", "\"open", #""\u12""#] {
            #expect(throws: JSONParseError.self) { try parse(bad) }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22], maxDepth: 4) }
    }

    @Test func strictness() {
        for bad in ["", "[1,]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "[1 2]", "01", "1.", ".1", "-", "1e+", "NaN", "Infinity",
                    "tru", "nul", "{a:1}", "[1]]", "{\"a\":1,\"a\":2}", "// x\n1", "'a'"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func depthLimit() throws {
        #expect(try parse(String(repeating: "[", count: 8) + String(repeating: "]", count: 8), depth: 8) != .null)
        let error = #expect(throws: JSONParseError.self) {
            try parse(String(repeating: "[", count: 9) + String(repeating: "]", count: 9), depth: 8)
        }
        #expect(error?.description == "JSON nesting is deeper than 8 levels")
    }

    @Test func serialization() throws {
        let value: JSONValue = .object([
            "b": .array([.float(0.1), .float(1), .float(1e-5), .float(.nan), .int(-3)]),
            "a": .string("q\"\\\n\u{01}é"),
            "c": .numbers([0.5, .infinity]),
            "d": .bool(false),
            "e": .null,
        ])
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #"{"a":"q\"\\\n\u0001é","b":[0.1,1.0,1e-05,null,-3],"c":[0.5,null],"d":false,"e":null}"#)
        // What we write, we read back.
        let back = try parse(text)
        #expect(back["a"] == .string("q\"\\\n\u{01}é"))
        let reparsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect((reparsed?["b"] as? [Any])?.count == 5)
    }
}
