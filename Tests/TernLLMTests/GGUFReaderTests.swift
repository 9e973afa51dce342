import Foundation
import Testing
@testable import TernLLM

@Suite struct GGUFReaderTests {
    @Test(arguments: [(UInt32(3), 32), (UInt32(2), 32), (UInt32(3), 64)])
    func aWrittenFileReadsBackExactly(_ version: UInt32, _ alignment: Int) throws {
        let writer = GGUFWriter.sample(version: version, alignment: alignment)
        let file = try GGUFFile(bytes: Data(writer.bytes()))
        #expect(file.version == Int(version))
        #expect(file.alignment == alignment)
        #expect(file.architecture == "llama")
        for (key, value) in writer.metadata { #expect(file.metadata[key] == value, "\(key)") }
        #expect(Array(file.metadataKeys.prefix(writer.metadata.count)) == writer.metadata.map(\.0))
        #expect(file.metadata["llama.block_count"]?.int == 2)
        #expect(file.metadata["llama.rope.freq_base"]?.double == 10000)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.array?.compactMap(\.string) == ["<s>", "a", "é"])
        #expect(file.tensors.map(\.name) == writer.tensors.map(\.name))
        #expect(file.dataOffset % alignment == 0)
        for expected in writer.tensors {
            let info = try #require(file.tensor(expected.name))
            #expect(info.dimensions == expected.dims && info.type == expected.type)
            #expect(info.offset % alignment == 0)
            #expect(info.byteCount == expected.bytes.count)
            file.withBytes(of: info) { #expect(Array($0) == expected.bytes, "\(expected.name)") }
        }
    }

    @Test func blockLayoutsMatchGGML() {
        // Bytes per block as ggml-common.h's static asserts give them.
        let expected: [GGMLType: (Int, Int)] = [
            .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22),
            .q5_1: (32, 24), .q8_0: (32, 34), .q8_1: (32, 36), .q2_K: (256, 84), .q3_K: (256, 110),
            .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210), .q8_K: (256, 292),
        ]
        for type in GGMLType.allCases { #expect(expected[type].map { $0 == (type.blockSize, type.typeSize) } == true, "\(type)") }
        #expect(GGMLType.q4_K.byteCount(elements: 576 * 256) == 576 * 144)
        #expect(GGMLType.q4_K.byteCount(elements: 100) == nil)
        #expect(GGMLType.q8_0.byteCount(elements: Int.max / 32 * 32) == nil)
    }

    @Test func aFileFromDiskIsMapped() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tern-gguf-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(GGUFWriter.sample().bytes()).write(to: url)
        let file = try GGUFFile(contentsOf: url)
        #expect(file.tensors.count == GGMLType.allCases.count)
    }
}

/// Hostile and broken files: each is refused with a ``GGUFError`` that says
/// what is wrong, before anything is allocated for the bad size.
@Suite struct GGUFHostileTests {
    /// The sample's bytes with `edit` applied.
    private func refused(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
                         _ edit: (inout GGUFWriter) -> Void = { _ in }, bytes patch: ((inout [UInt8]) -> Void)? = nil) {
        var writer = GGUFWriter.sample()
        edit(&writer)
        var bytes = writer.bytes()
        patch?(&bytes)
        do {
            _ = try GGUFFile(bytes: Data(bytes))
            Issue.record("accepted a file that should say '\(fragment)'", sourceLocation: sourceLocation)
        } catch let error as GGUFError {
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    private func put(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    @Test func headerProblems() {
        refused("not a GGUF file", bytes: { $0[0] = UInt8(ascii: "X") })
        refused("version 1 is not supported") { $0.version = 1 }
        refused("version 4 is not supported") { $0.version = 4 }
        refused("the tensor count is", bytes: { put(UInt64.max, at: 8, in: &$0) })
        refused("the metadata count is", bytes: { put(1 << 40, at: 16, in: &$0) })
        refused("the file ends inside the magic number", bytes: { $0 = Array($0.prefix(2)) })
    }

    @Test func metadataProblems() {
        // The first key's length (right after the 24-byte header) claims far more than the file.
        refused("the length of a metadata key is", bytes: { put(1 << 50, at: 24, in: &$0) })
        refused("appears twice") { $0.metadata.append(("general.name", .string("again"))) }
        refused("general.alignment must be a power of two") { $0.metadata.append(("general.alignment", .uint32(48))) }
        refused("general.alignment must be a power of two") { $0.metadata.append(("general.alignment", .int32(32))) }
        refused("is a bool byte 2") { w in
            w.metadata = [("flag", .bool(true))]
        } bytes: { bytes in
            // magic 4, version 4, counts 16, key length 8 + 4 bytes "flag", type 4: the bool is at 40.
            bytes[40] = 2
        }
        refused("is not valid UTF-8") { w in
            w.metadata = [("name", .string("ab"))]
        } bytes: { bytes in
            // key length 8 + "name" 4 + type 4 + value length 8: the string's bytes start at 48.
            bytes[48] = 0xFF
        }
        refused("unknown type 13") { w in
            w.metadata = [("x", .uint8(1))]
        } bytes: { bytes in
            // key length 8 + "x" 1: the type code is at 33.
            bytes[33] = 13
        }
        refused("nests arrays deeper than") { w in
            var v: GGUFValue = .array([.uint8(1)])
            for _ in 0..<9 { v = .array([v]) }
            w.metadata = [("deep", v)]
        }
    }

    @Test func tensorProblems() {
        // The tensor table of a one-tensor file with no metadata starts at byte 24.
        func oneTensor(_ w: inout GGUFWriter) {
            w.metadata = []
            w.tensors = [("w", [64, 2], .f32, [UInt8](repeating: 1, count: 512))]
        }
        // name length 8 + "w" 1 = 33: rank at 33, dims at 37 and 45, type at 53, offset at 57.
        refused("has 5 dimensions", oneTensor, bytes: { $0[33] = 5 })
        refused("has 0 dimensions", oneTensor, bytes: { $0[33] = 0 })
        refused("overflows", oneTensor, bytes: { put(1 << 40, at: 37, in: &$0); put(1 << 40, at: 45, in: &$0) })
        refused("has a dimension of", oneTensor, bytes: { put(UInt64.max, at: 37, in: &$0) })
        refused("has type 99, which Tern does not read", oneTensor, bytes: { $0[53] = 99 })
        refused("not a multiple of the alignment", oneTensor, bytes: { put(4, at: 57, in: &$0) })
        refused("runs past the end of the file", oneTensor, bytes: { put(1 << 20, at: 57, in: &$0) })
        refused("runs past the end of the file", oneTensor, bytes: { $0.removeLast(4) })
        refused("not a multiple of Q4_0's block of 32") { w in
            w.metadata = []
            w.tensors = [("q", [48], .q4_0, [UInt8](repeating: 0, count: 36))]
        }
        refused("overlap") { w in
            w.metadata = []
            w.tensors = [("a", [32], .f32, [UInt8](repeating: 0, count: 128)), ("b", [32], .f32, [UInt8](repeating: 0, count: 128))]
        } bytes: { bytes in
            // Tensor b's entry starts at 24 + (8+1+4+8+4+8) = 57; its name 9, rank 4, dim 8, type 4: offset at 82.
            put(64, at: 82, in: &bytes)
        }
        refused("appears twice") { w in
            w.tensors.append(w.tensors[0])
        }
    }

    @Test func everyTruncationIsRefused() {
        var writer = GGUFWriter.sample()
        writer.tensors = Array(writer.tensors.prefix(2))
        let bytes = writer.bytes()
        for length in 0..<bytes.count {
            #expect(throws: GGUFError.self, "truncated to \(length) bytes") { try GGUFFile(bytes: Data(bytes.prefix(length))) }
        }
        #expect(throws: Never.self) { try GGUFFile(bytes: Data(bytes)) }
    }

    /// Random mutations of a valid file: byte flips, and 8-byte fields
    /// overwritten with extreme values. Each either parses or is refused
    /// with a GGUFError; nothing crashes or allocates without bound.
    @Test func mutatedFilesNeverCrash() {
        var writer = GGUFWriter.sample()
        writer.tensors = Array(writer.tensors.prefix(4))
        let valid = writer.bytes()
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        let extremes: [UInt64] = [0, 1, 31, 32, 255, 1 << 31, 1 << 32, 1 << 62, UInt64(Int.max), UInt64.max, UInt64.max - 7]
        var parsed = 0, refused = 0
        for _ in 0..<4000 {
            var bytes = valid
            for _ in 0..<(1 + Int(next() % 3)) {
                let at = Int(next() % UInt64(bytes.count))
                if next() % 2 == 0 || at + 8 > bytes.count {
                    bytes[at] ^= UInt8(truncatingIfNeeded: next() | 1)
                } else {
                    let v = extremes[Int(next() % UInt64(extremes.count))]
                    withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[at + i] = b } }
                }
            }
            do {
                let file = try GGUFFile(bytes: Data(bytes))
                for t in file.tensors { file.withBytes(of: t) { _ = $0.count } }
                parsed += 1
            } catch is GGUFError {
                refused += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(parsed + refused == 4000 && refused > 1000, "parsed \(parsed), refused \(refused)")
    }
}

@Suite struct GGUFSummaryTests {
    @Test func theSummaryNamesArchitectureShapeTypesAndTemplate() throws {
        var writer = GGUFWriter.sample()
        writer.metadata.append(("llama.embedding_length", .uint32(64)))
        writer.metadata.append(("tokenizer.chat_template", .string("{{ messages }}")))
        let file = try GGUFFile(bytes: Data(writer.bytes()))
        let summary = file.summary
        for fragment in ["architecture: llama", "layers: 2, width 64", "RoPE base: 10000.0", "Q6_K ×1", "vocabulary: 3 tokens",
                         "chat template: 14 characters", "{{ messages }}"] {
            #expect(summary.contains(fragment), "\(fragment) not in \(summary)")
        }
        #expect(file.parameterCount == writer.tensors.reduce(0) { $0 + $1.dims.reduce(1, *) })
    }
}
