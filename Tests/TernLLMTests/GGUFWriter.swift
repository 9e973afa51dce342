import Foundation
@testable import TernLLM

/// Writes GGUF files for tests: metadata of any type and tensors of any
/// ggml type with the given bytes, laid out as llama.cpp writes them
/// (tensor data aligned, each tensor at a multiple of the alignment).
struct GGUFWriter {
    var version: UInt32 = 3
    var alignment = 32
    var metadata: [(String, GGUFValue)] = []
    var tensors: [(name: String, dims: [Int], type: GGMLType, bytes: [UInt8])] = []

    /// Adds a tensor of `type` with deterministic pseudo-random bytes (valid
    /// for every type: any bit pattern is a value).
    mutating func addTensor(_ name: String, dims: [Int], type: GGMLType, seed: UInt64 = 1) {
        let count = type.byteCount(elements: dims.reduce(1, *)) ?? 0
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<count).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        tensors.append((name, dims, type, bytes))
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        func value(_ v: GGUFValue) {
            switch v {
            case let .uint8(x): out.append(x)
            case let .int8(x): out.append(UInt8(bitPattern: x))
            case let .uint16(x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case let .int16(x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case let .uint32(x): u32(x)
            case let .int32(x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case let .uint64(x): u64(x)
            case let .int64(x): withUnsafeBytes(of: x.littleEndian) { out += $0 }
            case let .float32(x): u32(x.bitPattern)
            case let .float64(x): u64(x.bitPattern)
            case let .bool(x): out.append(x ? 1 : 0)
            case let .string(x): string(x)
            case let .array(items):
                u32(items.first?.typeCode ?? 0)
                u64(UInt64(items.count))
                for item in items { value(item) }
            }
        }
        out += Array("GGUF".utf8)
        u32(version)
        u64(UInt64(tensors.count))
        var entries = metadata
        if alignment != 32 { entries.append(("general.alignment", .uint32(UInt32(alignment)))) }
        u64(UInt64(entries.count))
        for (key, v) in entries {
            string(key)
            u32(v.typeCode)
            value(v)
        }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset = (offset + tensor.bytes.count + alignment - 1) / alignment * alignment
        }
        for (tensor, at) in zip(tensors, offsets) {
            string(tensor.name)
            u32(UInt32(tensor.dims.count))
            for d in tensor.dims { u64(UInt64(d)) }
            u32(tensor.type.rawValue)
            u64(UInt64(at))
        }
        while out.count % alignment != 0 { out.append(0) }
        let start = out.count
        for (tensor, at) in zip(tensors, offsets) {
            while out.count < start + at { out.append(0) }
            out += tensor.bytes
        }
        return out
    }

    /// A small valid file: metadata of every type and one tensor per ggml type.
    static func sample(version: UInt32 = 3, alignment: Int = 32) -> GGUFWriter {
        var w = GGUFWriter(version: version, alignment: alignment)
        w.metadata = [
            ("general.architecture", .string("llama")),
            ("general.name", .string("tiny ✓")),
            ("llama.block_count", .uint32(2)),
            ("llama.rope.freq_base", .float32(10000)),
            ("test.u8", .uint8(200)), ("test.i8", .int8(-5)), ("test.u16", .uint16(65000)), ("test.i16", .int16(-300)),
            ("test.i32", .int32(-70000)), ("test.u64", .uint64(1 << 40)), ("test.i64", .int64(-(1 << 40))),
            ("test.f64", .float64(0.1)), ("test.bool", .bool(true)),
            ("tokenizer.ggml.tokens", .array([.string("<s>"), .string("a"), .string("é")])),
            ("test.nested", .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])])),
        ]
        for (i, type) in GGMLType.allCases.enumerated() {
            w.addTensor("t.\(type)", dims: [type.blockSize * 2, 3], type: type, seed: UInt64(i + 1))
        }
        return w
    }
}
