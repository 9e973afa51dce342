import Testing
import TernSupport

@Suite struct JSONParserTests {
    func parse(_ text: String, depth: Int = 64) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: depth)
    }

    func parseError(_ text: String, depth: Int = 64) -> JSONParseError? {
        do {
            _ = try parse(text, depth: depth)
            return nil
        } catch {
            return error as? JSONParseError
        }
    }

    @Test func valuesAndNumberKinds() throws {
        #expect(try parse("-12") == .int(-12))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("9223372036854775807") == .int(.max))
        #expect(try parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try parse("1.5e2") == .double(150))
        #expect(try parse("1e400") == .double(.infinity))
        #expect(try parse("[1, 2.5, -3]") == .numbers([1, 2.5, -3]))
        #expect(try parse("[1, \"a\", 2]") == .array([.double(1), .string("a"), .int(2)]))
        #expect(try parse(" [ ] ") == .numbers([]))
        #expect(try parse(#"{"a":[[1,2],[3]]}"#) == .object(["a": .array([.numbers([1, 2]), .numbers([3])])]))
        #expect(try parse(#""caf\u00e9 \ud83d\ude00 plain""#) == .string("café 😀 plain"))
    }

    @Test func numberListsConvertOnDemand() throws {
        guard case let .numbers(list) = try parse("[0.9921568632125854, 1e39, 9007199254740993, -0.5, 3]") else {
            Issue.record("not a number list"); return
        }
        #expect(list.count == 5)
        #expect(list[0] == 0.9921568632125854)
        #expect(list.literal(at: 2) == "9007199254740993")
        #expect(list.doubles() == [0.9921568632125854, 1e39, 9007199254740992, -0.5, 3])
        // Float32: rounded once from the digits; 1e39 is past the range.
        let floatError = #expect(throws: JSONNumberError.self) { try list.floats() }
        #expect(floatError?.description == "element 1 (1e39) is not a finite 32-bit float")
        let intError = #expect(throws: JSONNumberError.self) { try list.int64s() }
        #expect(intError?.index == 0)
        #expect(intError?.description == "element 0 (0.9921568632125854) is not an integer")

        guard case let .numbers(ints) = try parse("[9007199254740993, -9223372036854775808, 1e3, 20e-1]") else { return }
        #expect(try ints.int64s() == [9_007_199_254_740_993, .min, 1000, 2])
        guard case let .numbers(big) = try parse("[1, 9223372036854775808]") else { return }
        #expect(throws: JSONNumberError(index: 1, literal: "9223372036854775808", reason: .outOfRange)) { try big.int64s() }
        guard case let .numbers(huge) = try parse("[1, 1e400]") else { return }
        #expect(throws: JSONNumberError(index: 1, literal: "1e400", reason: .notFinite(bits: 64))) { try huge.finiteDoubles() }
    }

    /// A float32 read straight from the digits differs from one read through
    /// a double when the double lands exactly halfway between two floats.
    @Test func floatsAreRoundedOnce() throws {
        // 1 + 2^-24 + 2^-60: just above the midpoint between 1 and its float
        // successor, but it rounds to the midpoint as a double.
        let text = "1.00000005960464477539930798216"
        guard case let .numbers(list) = try parse("[" + text + "]") else { return }
        #expect(Float(list[0]) == 1)  // through a double: rounded twice
        #expect(try list.floats() == [Float(1).nextUp])
        #expect(try list.floats() == [Float(text)!])
    }

    @Test func numpyBody() throws {
        let values = (0..<784).map { Float($0 % 256) / 255 }
        let text = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,784],\"datatype\":\"FP32\",\"data\":["
            + values.map { Double($0).description }.joined(separator: ", ") + "]}]}"
        let json = try parse(text)
        guard case let .array(inputs)? = json["inputs"], case let .numbers(data)? = inputs.first?["data"],
              case let .numbers(shape)? = inputs.first?["shape"] else {
            Issue.record("unexpected structure"); return
        }
        #expect(try data.floats() == values)
        #expect(try shape.int64s() == [1, 784])
    }

    @Test func lazyAndBuiltListsCompareEqual() throws {
        #expect(try parse("[1.0, 2]") == .numbers(JSONNumbers([1, 2])))
        let values: [Double] = [0.5, 1]
        #expect(JSONValue.numbers(values) == .numbers([0.5, 1]))
        #expect(try parse("[1, 2]") != .numbers([1, 2, 3]))
    }

    @Test func errorsAndPaths() {
        #expect(parseError("{\"a\":1,\"a\":2}")?.description == "malformed JSON at byte 12: duplicate key 'a'")
        let nested = parseError(#"{"x":[0,{"k":1,"k":2}]}"#)
        #expect(nested?.reason == .duplicateKey("k"))
        #expect(nested?.path == [.key("x"), .index(1)])
        #expect(parseError("[1, 2")?.description.hasPrefix("malformed JSON") == true)
        #expect(parseError("[[[]]]", depth: 2)?.description == "JSON nesting is deeper than 2 levels")
        #expect(parseError("[1.]")?.message == "invalid number")
        #expect(parseError("[1.]")?.offset == 3)
        for bad in ["", "[1,]", "{\"a\":1,}", "[01]", "[-]", "[1e+]", "NaN", "[Infinity]", "\"\\ud800\"", "\"a\u{01}\"",
                    "tru", "{a:1}", "[1]]", "\"open", "[\"a\" \"b\"]"] {
            #expect(parseError(bad) != nil, "\(bad)")
        }
        #expect((try? JSONParser.parse([0x22, 0xFF, 0x22], maxDepth: 4)) == nil)
        #expect((try? JSONParser.parse([0x22, 0xC3, 0x28, 0x22], maxDepth: 4)) == nil)
    }

    @Test func topLevelKeepsOrderAndDuplicates() throws {
        guard case let .object(members) = try JSONParser.parseTopLevel(Array(#"{"b":1,"a":[2],"b":{"c":null}}"#.utf8), maxDepth: 8) else {
            Issue.record("not an object"); return
        }
        #expect(members.map(\.key) == ["b", "a", "b"])
        #expect(members[1].value == .numbers([2]))
        guard case let .other(value) = try JSONParser.parseTopLevel(Array("[true]".utf8), maxDepth: 8) else {
            Issue.record("an array is not an object"); return
        }
        #expect(value == .array([.bool(true)]))
    }

    @Test func serialization() throws {
        let value: JSONValue = .object(["b": .array([.float(0.1), .int(-3)]), "a": .string("q\"\n\u{01}"), "c": .numbers([0.5, .infinity])])
        #expect(String(decoding: value.serialized(), as: UTF8.self) == #"{"a":"q\"\n\u0001","b":[0.1,-3],"c":[0.5,null]}"#)
        #expect(JSONValue.quoted("a\"\\\t\u{1F}é") == #""a\"\\\t\u001fé""#)
        // A parsed list writes its values the way a built one does.
        #expect(try parse("[1.50, 2e0]").serialized() == Array("[1.5,2.0]".utf8))
    }
}
