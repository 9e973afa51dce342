import Testing
import TernTesting
import TernFormats
import TernTensor

@Suite struct SafeTensorsHostileTests {
    func entry(_ name: String, dtype: String = "F32", shape: String, offsets: String) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    func error(_ bytes: [UInt8]) -> SafeTensorsError? {
        do {
            _ = try SafeTensorsFile.decode(bytes)
            return nil
        } catch let error as SafeTensorsError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func rejectsBadLengths() {
        #expect(error([]) == .fileTooShort(byteCount: 0))
        #expect(error([1, 0, 0, 0, 0, 0, 0]) == .fileTooShort(byteCount: 7))
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B, 0x7D]
        #expect(error(huge) == .headerTooLarge(length: .max, limit: 100_000_000))
        let over: [UInt8] = withUnsafeBytes(of: UInt64(100_000_001).littleEndian, Array.init) + [0x7B, 0x7D]
        #expect(error(over) == .headerTooLarge(length: 100_000_001, limit: 100_000_000))
        #expect(error([100, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]) == .headerPastEnd(length: 100, available: 2))
    }

    @Test func rejectsBadHeaderText() {
        #expect(error([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE]) == .headerNotUTF8)
        for header in ["", "{", "{\"a\":}", "{\"a\" 1}", "nul", "{} x", "{\"a\":01}", "{\"a\":\"\\q\"}", "{\"\\ud800\":1}", "\u{0}"] {
            guard case .invalidJSON = error(rawFile(header: header)) else {
                Issue.record("header \(header.debugDescription) was not rejected as invalid JSON")
                continue
            }
        }
        #expect(error(rawFile(header: "[]")) == .headerNotObject(found: "an array"))
        #expect(error(rawFile(header: "  \"x\"  ")) == .headerNotObject(found: "a string"))
        // Deep nesting is an error, not a stack overflow.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        guard case let .invalidJSON(reason, _) = error(rawFile(header: "{\"a\":" + deep + "}")) else {
            Issue.record("deep nesting not rejected")
            return
        }
        #expect(reason.contains("nesting"))
    }

    @Test func rejectsUnsupportedDTypesNamingThem() {
        for dtype in ["BF16", "F8_E4M3", "STRING", "f32", "bogus"] {
            let header = "{" + entry("weights", dtype: dtype, shape: "[1]", offsets: "[0,8]") + "}"
            let e = error(rawFile(header: header, data: [UInt8](repeating: 0, count: 8)))
            #expect(e == .unsupportedDType(tensor: "weights", dtype: dtype))
            #expect(e.map { "\($0)" }?.contains("'\(dtype)'") == true)
            #expect(e.map { "\($0)" }?.contains("'weights'") == true)
        }
    }

    /// Every element type Tern tensors hold reads from its safetensors name,
    /// little-endian (F16 1.5 is 0x3E00; BOOL is any non-zero byte).
    @Test func readsEveryTensorElementType() throws {
        let cases: [(String, [UInt8], Double)] = [
            ("F64", [0, 0, 0, 0, 0, 0, 0xF8, 0x3F], 1.5), ("I64", [0xFE] + [UInt8](repeating: 0xFF, count: 7), -2),
            ("F16", [0x00, 0x3E], 1.5), ("BOOL", [7], 1), ("U16", [0x34, 0x12], 0x1234), ("I8", [0xFF], -1),
        ]
        for (dtype, bytes, value) in cases {
            let header = "{" + entry("w", dtype: dtype, shape: "[1]", offsets: "[0,\(bytes.count)]") + "}"
            let file = try SafeTensorsFile.decode(rawFile(header: header, data: bytes))
            #expect(file.tensors.first?.tensor.dtype.rawValue == dtype)
            #expect(file.tensors.first?.tensor.doubleScalars == [value])
        }
    }

    @Test func rejectsSizeAndOffsetProblems() {
        let zeros = [UInt8](repeating: 0, count: 16)
        #expect(error(rawFile(header: "{" + entry("a", shape: "[3]", offsets: "[0,8]") + "}", data: Array(zeros[0..<8])))
            == .sizeMismatch(tensor: "a", dtype: "F32", shape: [3], expectedBytes: 12, actualBytes: 8))
        #expect(error(rawFile(header: "{" + entry("a", shape: "[2]", offsets: "[0,8]") + "}", data: Array(zeros[0..<4])))
            == .offsetsOutOfBounds(tensor: "a", end: 8, dataBytes: 4))
        let overlap = "{" + entry("a", shape: "[2]", offsets: "[0,8]") + "," + entry("b", shape: "[2]", offsets: "[4,12]") + "}"
        #expect(error(rawFile(header: overlap, data: Array(zeros[0..<12]))) == .overlappingTensors(tensor: "b", previous: "a"))
        let gap = "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("b", shape: "[1]", offsets: "[8,12]") + "}"
        #expect(error(rawFile(header: gap, data: Array(zeros[0..<12]))) == .gapBeforeTensor(tensor: "b", bytes: 4))
        let late = "{" + entry("a", shape: "[1]", offsets: "[4,8]") + "}"
        #expect(error(rawFile(header: late, data: Array(zeros[0..<8]))) == .gapBeforeTensor(tensor: "a", bytes: 4))
        #expect(error(rawFile(header: "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "}", data: Array(zeros[0..<8])))
            == .trailingBytes(count: 4))
        #expect(error(rawFile(header: "{}", data: [1])) == .trailingBytes(count: 1))
        guard case .invalidEntry(tensor: "a", _) = error(rawFile(header: "{" + entry("a", shape: "[1]", offsets: "[4,0]") + "}")) else {
            Issue.record("reversed offsets not rejected"); return
        }
    }

    @Test(arguments: [
        ("[-1]", "[0,4]", "negative"), ("[1.5]", "[0,4]", "not a whole number"), ("[1e2]", "[0,400]", "not a whole number"),
        ("[99999999999999999999999]", "[0,4]", "too large"), ("[4294967296,4294967296]", "[0,4]", "more than"),
        ("[\"2\"]", "[0,8]", "must be a number"), ("[1]", "[0]", "2 numbers"), ("[1]", "[0,4,8]", "2 numbers"),
        ("[1]", "[-4,0]", "negative"), ("7", "[0,4]", "must be an array"), ("[1]", "{}", "must be an array"),
    ])
    func rejectsMalformedShapesAndOffsets(shape: String, offsets: String, message: String) {
        let e = error(rawFile(header: "{" + entry("t", shape: shape, offsets: offsets) + "}", data: [0, 0, 0, 0]))
        guard case .invalidEntry(tensor: "t", let reason) = e else {
            Issue.record("shape \(shape) offsets \(offsets): expected invalidEntry, got \(String(describing: e))")
            return
        }
        #expect(reason.contains(message), "\(reason)")
    }

    @Test func rejectsMalformedEntries() {
        let cases: [(String, String)] = [
            (#"{"t":[]}"#, "expected an object"),
            (#"{"t":{"shape":[1],"data_offsets":[0,4]}}"#, "missing field 'dtype'"),
            (#"{"t":{"dtype":"F32","data_offsets":[0,4]}}"#, "missing field 'shape'"),
            (#"{"t":{"dtype":"F32","shape":[1]}}"#, "missing field 'data_offsets'"),
            (#"{"t":{"dtype":1,"shape":[1],"data_offsets":[0,4]}}"#, "'dtype' must be a string"),
            (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":0}}"#, "unknown field 'extra'"),
            (#"{"t":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "occurs more than once"),
        ]
        for (header, message) in cases {
            guard case .invalidEntry(tensor: "t", let reason) = error(rawFile(header: header, data: [0, 0, 0, 0])) else {
                Issue.record("\(header) not rejected as invalid entry"); continue
            }
            #expect(reason.contains(message), "\(reason)")
        }
    }

    @Test func rejectsDuplicateNamesAndBadMetadata() {
        let dup = "{" + entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("a", shape: "[1]", offsets: "[4,8]") + "}"
        #expect(error(rawFile(header: dup, data: [UInt8](repeating: 0, count: 8))) == .duplicateName("a"))
        #expect(error(rawFile(header: #"{"__metadata__":{"a":1}}"#)) == .invalidMetadata(key: "a", reason: "expected a string value, found a number"))
        #expect(error(rawFile(header: #"{"__metadata__":{"a":null}}"#)) == .invalidMetadata(key: "a", reason: "expected a string value, found null"))
        #expect(error(rawFile(header: #"{"__metadata__":["a"]}"#)) == .invalidMetadata(key: nil, reason: "expected an object, found an array"))
        #expect(error(rawFile(header: #"{"__metadata__":{"a":"1","a":"2"}}"#)) == .invalidMetadata(key: "a", reason: "the key occurs more than once"))
        #expect(error(rawFile(header: #"{"__metadata__":{},"__metadata__":{}}"#)) == .duplicateName("__metadata__"))
    }

    @Test func truncatingAValidFileNeverCrashes() throws {
        let bytes = try SafeTensorsFile(
            tensors: [("a", AnyTensor(Tensor<Float>([1, 2, 3]))), ("b", AnyTensor(Tensor<UInt8>([4, 5])))],
            metadata: ["k": "v"]
        ).encode()
        for cut in 0..<bytes.count {
            #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.decode(Array(bytes.prefix(cut))) }
        }
        // Flipping any single header byte either still decodes or throws; it never crashes.
        for i in 0..<bytes.count {
            var corrupt = bytes
            corrupt[i] ^= 0x5A
            _ = try? SafeTensorsFile.decode(corrupt)
        }
    }
}
