/// Reference dequantization of every ggml type Tern reads: the plain,
/// obviously correct loops that the fast kernels are tested against (and
/// that are tested against the `gguf` Python package's dequantization,
/// `scripts/make_gguf_fixtures.py`). Block layouts and formulas are ggml's
/// (`ggml-common.h`, `ggml-quants.c`).
extension GGMLType {
    /// The elements that `bytes` (whole blocks of this type) hold, as floats.
    /// - Precondition: `bytes.count` is a multiple of ``typeSize``.
    public func dequantize(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        precondition(bytes.count % typeSize == 0, "\(bytes.count) bytes is not a whole number of \(self) blocks")
        let blocks = bytes.count / typeSize
        return [Float](unsafeUninitializedCapacity: blocks * blockSize) { out, initialized in
            for b in 0..<blocks {
                let block = UnsafeRawBufferPointer(rebasing: bytes[(b * typeSize)..<((b + 1) * typeSize)])
                let y = UnsafeMutableBufferPointer(rebasing: out[(b * blockSize)..<((b + 1) * blockSize)])
                dequantizeBlock(block, into: y)
            }
            initialized = blocks * blockSize
        }
    }

    /// Convenience for tests and tools: bytes from an array.
    public func dequantize(_ bytes: [UInt8]) -> [Float] { bytes.withUnsafeBytes { dequantize($0) } }

    private func dequantizeBlock(_ x: UnsafeRawBufferPointer, into y: UnsafeMutableBufferPointer<Float>) {
        func half(_ at: Int) -> Float { Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)) }
        func byte(_ at: Int) -> Int { Int(x[at]) }
        switch self {
        case .f32:
            y[0] = Float(bitPattern: x.loadUnaligned(as: UInt32.self).littleEndian)
        case .f16:
            y[0] = half(0)
        case .bf16:
            y[0] = Float(bitPattern: UInt32(x.loadUnaligned(as: UInt16.self).littleEndian) << 16)
        case .q8_0:
            let d = half(0)
            for j in 0..<32 { y[j] = d * Float(Int8(bitPattern: x[2 + j])) }
        case .q8_1:
            let d = half(0)
            for j in 0..<32 { y[j] = d * Float(Int8(bitPattern: x[4 + j])) }
        case .q4_0:
            let d = half(0)
            for j in 0..<16 {
                y[j] = Float((byte(2 + j) & 0x0F) - 8) * d
                y[j + 16] = Float((byte(2 + j) >> 4) - 8) * d
            }
        case .q4_1:
            let d = half(0), m = half(2)
            for j in 0..<16 {
                y[j] = Float(byte(4 + j) & 0x0F) * d + m
                y[j + 16] = Float(byte(4 + j) >> 4) * d + m
            }
        case .q5_0:
            let d = half(0)
            let qh = Int(x.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian)
            for j in 0..<16 {
                let high0 = ((qh >> j) << 4) & 0x10
                let high1 = (qh >> (j + 12)) & 0x10
                y[j] = Float(((byte(6 + j) & 0x0F) | high0) - 16) * d
                y[j + 16] = Float(((byte(6 + j) >> 4) | high1) - 16) * d
            }
        case .q5_1:
            let d = half(0), m = half(2)
            let qh = Int(x.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
            for j in 0..<16 {
                let high0 = ((qh >> j) << 4) & 0x10
                let high1 = (qh >> (j + 12)) & 0x10
                y[j] = Float((byte(8 + j) & 0x0F) | high0) * d + m
                y[j + 16] = Float((byte(8 + j) >> 4) | high1) * d + m
            }
        case .q4_K, .q5_K:
            // d, dmin, 12 bytes of 6-bit scales and mins, (Q5_K: 32 bytes of
            // high bits), then 128 bytes of low nibbles: 4 chunks of 64.
            let d = half(0), dmin = half(2)
            let high = self == .q5_K ? 16 : -1
            let low = self == .q5_K ? 48 : 16
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(x, 2 * chunk)
                let (sc2, m2) = scaleMin(x, 2 * chunk + 1)
                let (d1, o1) = (d * Float(sc1), dmin * Float(m1))
                let (d2, o2) = (d * Float(sc2), dmin * Float(m2))
                for l in 0..<32 {
                    let q = byte(low + 32 * chunk + l)
                    var q1 = q & 0x0F, q2 = q >> 4
                    if high >= 0 {
                        let h = byte(high + l)
                        if h & (1 << (2 * chunk)) != 0 { q1 += 16 }
                        if h & (2 << (2 * chunk)) != 0 { q2 += 16 }
                    }
                    y[64 * chunk + l] = d1 * Float(q1) - o1
                    y[64 * chunk + 32 + l] = d2 * Float(q2) - o2
                }
            }
        case .q6_K:
            // 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 signed
            // scales, d: 2 halves of 128.
            let d = half(208)
            for n in 0..<2 {
                let ql = 64 * n, qh = 128 + 32 * n, sc = 192 + 8 * n
                for l in 0..<32 {
                    let s = l / 16
                    let h = byte(qh + l)
                    let q1 = ((byte(ql + l) & 0x0F) | ((h >> 0) & 3) << 4) - 32
                    let q2 = ((byte(ql + l + 32) & 0x0F) | ((h >> 2) & 3) << 4) - 32
                    let q3 = ((byte(ql + l) >> 4) | ((h >> 4) & 3) << 4) - 32
                    let q4 = ((byte(ql + l + 32) >> 4) | ((h >> 6) & 3) << 4) - 32
                    func scale(_ i: Int) -> Float { d * Float(Int8(bitPattern: x[sc + i])) }
                    y[128 * n + l] = scale(s) * Float(q1)
                    y[128 * n + l + 32] = scale(s + 2) * Float(q2)
                    y[128 * n + l + 64] = scale(s + 4) * Float(q3)
                    y[128 * n + l + 96] = scale(s + 6) * Float(q4)
                }
            }
        case .q2_K, .q3_K, .q8_K:
            // Read by the loader; not used by the models Tern runs.
            for i in y.indices { y[i] = .nan }
        }
    }

    /// The 6-bit scale and min of sub-block `j` of a Q4_K/Q5_K block, whose
    /// 12 packed bytes start at offset 4.
    private func scaleMin(_ x: UnsafeRawBufferPointer, _ j: Int) -> (Int, Int) {
        func q(_ i: Int) -> Int { Int(x[4 + i]) }
        if j < 4 { return (q(j) & 63, q(j + 4) & 63) }
        return ((q(j + 4) & 0x0F) | ((q(j - 4) >> 6) << 4), (q(j + 4) >> 4) | ((q(j) >> 6) << 4))
    }
}
