/// What llama.cpp does for a matrix-vector product on quantized weights:
/// the activation row is quantized to 8 bits per 32 elements (Q8_0, or
/// Q8_1 with the block sum for weight types that have a minimum), and each
/// block's products are summed as integers, then scaled once. These are the
/// reference loops (ggml's `quantize_row_q8_0_ref`, `_q8_1_ref` and the
/// scalar `vec_dot` paths); fast kernels are checked against them.
public enum QuantizedDot {
    /// The activation type a weight type's dot product takes, nil for
    /// types without an 8-bit dot product here.
    public static func activationType(for weights: GGMLType) -> GGMLType? {
        switch weights {
        case .q8_0, .q4_0, .q5_0: return .q8_0
        case .q4_1, .q5_1: return .q8_1
        default: return nil
        }
    }

    /// `x` (a multiple of 32 elements) as Q8_0 blocks (or Q8_1 with
    /// `withSums`): per block d = max|x| / 127, q = round(x / d).
    public static func quantize(_ x: [Float], withSums: Bool = false) -> [UInt8] {
        precondition(x.count % 32 == 0, "\(x.count) elements is not a whole number of blocks")
        let size = withSums ? GGMLType.q8_1.typeSize : GGMLType.q8_0.typeSize
        var out = [UInt8](repeating: 0, count: x.count / 32 * size)
        for b in 0..<(x.count / 32) {
            let block = x[(b * 32)..<(b * 32 + 32)]
            let amax = block.reduce(Float(0)) { max($0, abs($1)) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            let base = b * size
            let qsAt = base + (withSums ? 4 : 2)
            var sum = 0
            for (j, v) in block.enumerated() {
                let q = Int8((v * id).rounded())
                out[qsAt + j] = UInt8(bitPattern: q)
                sum += Int(q)
            }
            store(Float16(d), at: base, in: &out)
            if withSums { store(Float16(Float(sum) * d), at: base + 2, in: &out) }
        }
        return out
    }

    /// The dot product of a row of `type` weights with activations that
    /// ``quantize(_:withSums:)`` made (``activationType(for:)`` of `type`),
    /// as ggml's scalar path computes it.
    public static func dot(_ type: GGMLType, weights: [UInt8], activations: [UInt8]) -> Float {
        guard let act = activationType(for: type) else { preconditionFailure("no 8-bit dot product for \(type)") }
        let blocks = weights.count / type.typeSize
        precondition(weights.count == blocks * type.typeSize && activations.count == blocks * act.typeSize)
        var sum: Float = 0
        for b in 0..<blocks {
            let w = b * type.typeSize, a = b * act.typeSize
            func half(_ bytes: [UInt8], _ at: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)) }
            let qa = a + (act == .q8_1 ? 4 : 2)
            func y(_ j: Int) -> Int { Int(Int8(bitPattern: activations[qa + j])) }
            let dy = half(activations, a)
            var sumi = 0
            switch type {
            case .q8_0:
                for j in 0..<32 { sumi += Int(Int8(bitPattern: weights[w + 2 + j])) * y(j) }
                sum += Float(sumi) * (half(weights, w) * dy)
            case .q4_0:
                for j in 0..<16 {
                    let q = Int(weights[w + 2 + j])
                    sumi += ((q & 0x0F) - 8) * y(j) + ((q >> 4) - 8) * y(j + 16)
                }
                sum += Float(sumi) * (half(weights, w) * dy)
            case .q5_0:
                let qh = (0..<4).reduce(0) { $0 | Int(weights[w + 2 + $1]) << (8 * $1) }
                for j in 0..<16 {
                    let q = Int(weights[w + 6 + j])
                    let x0 = ((q & 0x0F) | (((qh >> j) << 4) & 0x10)) - 16
                    let x1 = ((q >> 4) | ((qh >> (j + 12)) & 0x10)) - 16
                    sumi += x0 * y(j) + x1 * y(j + 16)
                }
                sum += Float(sumi) * (half(weights, w) * dy)
            case .q4_1:
                for j in 0..<16 {
                    let q = Int(weights[w + 4 + j])
                    sumi += (q & 0x0F) * y(j) + (q >> 4) * y(j + 16)
                }
                sum += (half(weights, w) * dy) * Float(sumi) + half(weights, w + 2) * half(activations, a + 2)
            case .q5_1:
                let qh = (0..<4).reduce(0) { $0 | Int(weights[w + 4 + $1]) << (8 * $1) }
                for j in 0..<16 {
                    let q = Int(weights[w + 8 + j])
                    let x0 = (q & 0x0F) | (((qh >> j) << 4) & 0x10)
                    let x1 = (q >> 4) | ((qh >> (j + 12)) & 0x10)
                    sumi += x0 * y(j) + x1 * y(j + 16)
                }
                sum += (half(weights, w) * dy) * Float(sumi) + half(weights, w + 2) * half(activations, a + 2)
            default:
                preconditionFailure("no 8-bit dot product for \(type)")
            }
        }
        return sum
    }

    private static func store(_ value: Float16, at offset: Int, in bytes: inout [UInt8]) {
        bytes[offset] = UInt8(truncatingIfNeeded: value.bitPattern)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value.bitPattern >> 8)
    }
}
