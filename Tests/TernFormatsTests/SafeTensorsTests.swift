import Foundation
import Testing
import TernFormats
import TernTensor
import TernTesting

/// A safetensors file built by hand: the little-endian header length, the
/// header text as given (no padding added) and the data bytes.
func rawFile(header: String, data: [UInt8] = []) -> [UInt8] {
    let h = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
}

@Suite struct SafeTensorsTests {
    func sampleFile() throws -> SafeTensorsFile {
        SafeTensorsFile(
            tensors: [
                ("layer1.weight", AnyTensor(randomTensor([3, 5], seed: 1))),
                ("layer1.bias", AnyTensor(Tensor<Float>([0.5, -0.25, .infinity]))),
                ("counts", AnyTensor(Tensor<Int32>([0, -1, .max, .min]))),
                ("empty", AnyTensor(Tensor<Float>(zeros: [0, 4]))),
                ("pixels", AnyTensor(try Tensor<UInt8>(shape: [3, 1], scalars: [0, 128, 255]))),
                ("scalar", AnyTensor(Tensor<Float>(repeating: 3.25, shape: []))),
            ],
            metadata: ["format": "tern", "note": "quotes \" backslash \\ newline \n tab \t émoji 😀", "": "empty key"])
    }

    @Test func roundTripsTensorsAndMetadata() throws {
        let original = try sampleFile()
        let bytes = try original.encode()
        let (decoded, layout) = try SafeTensorsFile.decodeWithLayout(bytes)
        #expect(decoded.tensors.map(\.name) == original.tensors.map(\.name))
        for ((_, a), (_, b)) in zip(decoded.tensors, original.tensors) { #expect(a == b) }
        #expect(decoded.metadata == original.metadata)
        #expect(decoded["counts"]?.tensor(of: Int32.self)?.scalars == [0, -1, .max, .min])
        #expect(decoded["counts"]?.tensor(of: Float.self) == nil)
        #expect(decoded["missing"] == nil)
        #expect(try decoded.encode() == bytes)

        #expect(layout.headerByteCount % 8 == 0)
        #expect(layout.dataSection == (8 + layout.headerByteCount)..<bytes.count)
        let dataBytes = 15 * 4 + 3 * 4 + 4 * 4 + 0 + 3 + 4
        #expect(layout.dataSection.count == dataBytes)
        #expect(layout.entries.map(\.byteRange.lowerBound) == [0, 60, 72, 88, 88, 91])
        #expect(layout.entries[0].shape == [3, 5])
        #expect(layout.entries[2].dtype == .int32)
    }

    @Test func encodingIsDeterministic() throws {
        #expect(try sampleFile().encode() == sampleFile().encode())
        let noMetadata = SafeTensorsFile(tensors: [("b", AnyTensor(Tensor<UInt8>([1]))), ("a", AnyTensor(Tensor<UInt8>([2])))])
        let bytes = try noMetadata.encode()
        let header = String(decoding: bytes[8..<(bytes.count - 2)], as: UTF8.self)
        // Keys sorted; data in the given order (b first).
        #expect(header.hasPrefix("{\"a\":{\"data_offsets\":[1,2],\"dtype\":\"U8\",\"shape\":[1]},\"b\":{\"data_offsets\":[0,1]"))
        #expect(!header.contains("__metadata__"))
        #expect(try SafeTensorsFile.decode(bytes).tensors.map(\.name) == ["b", "a"])
    }

    @Test func goldenBytesForOneFloatTensor() throws {
        let file = SafeTensorsFile(tensors: [("w", AnyTensor(Tensor<Float>([1.0, 2.0])))])
        let header = #"{"w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#
        #expect(header.utf8.count == 54)  // padded with 2 spaces to 56 = 0x38
        let expected: [UInt8] =
            [0x38, 0, 0, 0, 0, 0, 0, 0]
            + Array(header.utf8) + [0x20, 0x20]
            + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]
        let bytes = try file.encode()
        #expect(bytes == expected)
        #expect(bytes.count == 72)
        #expect(try SafeTensorsFile.decode(expected)["w"] == .float32(Tensor([1.0, 2.0])))
    }

    @Test func decodesFilesFromOtherWriters() throws {
        // Metadata first, unsorted keys, whitespace, data order differing from
        // key order, no padding: all valid.
        let header = """
            { "__metadata__" : {"format": "pt"}, "z": {"dtype":"I32","shape":[1],"data_offsets":[0,4]},
              "a": {"shape": [2], "data_offsets": [4, 6], "dtype": "U8"}, "\\u00e9\\ud83d\\ude00": {"dtype":"U8","shape":[0],"data_offsets":[6,6]} }
            """
        let file = try SafeTensorsFile.decode(rawFile(header: header, data: [7, 0, 0, 0, 9, 10]))
        #expect(file.tensors.map(\.name) == ["z", "a", "é😀"])
        #expect(file["z"] == .int32(Tensor([7])))
        #expect(file["a"] == .uint8(Tensor([9, 10])))
        #expect(file.metadata == ["format": "pt"])
        // An empty file (no tensors) is valid too.
        #expect(try SafeTensorsFile.decode(rawFile(header: "{}")).tensors.isEmpty)
    }

    @Test func encodeRejectsDuplicateAndReservedNames() {
        let t = AnyTensor(Tensor<UInt8>([1]))
        #expect(throws: SafeTensorsError.duplicateName("a")) { try SafeTensorsFile(tensors: [("a", t), ("a", t)]).encode() }
        #expect(throws: SafeTensorsError.reservedName("__metadata__")) {
            try SafeTensorsFile(tensors: [("__metadata__", t)]).encode()
        }
    }

    @Test func readsAndWritesFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        try sampleFile().write(to: url)
        #expect(try SafeTensorsFile.read(contentsOf: url).tensors.count == 6)
        let missing = dir.appendingPathComponent("nope.safetensors")
        #expect(throws: SafeTensorsError.fileNotFound(name: "nope.safetensors")) { try SafeTensorsFile.read(contentsOf: missing) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(contentsOf: url, maxBytes: 10) }
    }
}
