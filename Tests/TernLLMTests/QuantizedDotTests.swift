import Foundation
import Testing
@testable import TernLLM

@Suite struct QuantizedDotTests {
    /// Q8_0 quantization of an activation row equals gguf-py's byte for
    /// byte (an all-zero block included), `scripts/make_gguf_fixtures.py`.
    @Test func q8_0QuantizationMatchesGGUFPyExactly() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/quantize_q8_0.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let x = try #require(root["x"] as? [Double]).map(Float.init)
        let hex = try #require(root["q8_0"] as? String)
        let expected = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
        let got = QuantizedDot.quantize(x)
        #expect(got == expected)
        // Dequantized, each value is within half a step of the input, plus
        // what storing d as FP16 (11 significant bits) moves 127 steps by.
        let back = GGMLType.q8_0.dequantize(got)
        for b in 0..<(x.count / 32) {
            let block = x[(b * 32)..<(b * 32 + 32)]
            let step = block.map(abs).max()! / 127
            for j in block.indices { #expect(abs(back[j] - x[j]) <= step * (0.5 + 127 * 0x1p-11) + 1e-6, "element \(j)") }
        }
    }

    /// Q8_1 carries d and d·Σq; its values are Q8_0's.
    @Test func q8_1AddsTheBlockSum() {
        let x = (0..<64).map { Float(sin(Double($0))) * 3 }
        let q8_0 = QuantizedDot.quantize(x), q8_1 = QuantizedDot.quantize(x, withSums: true)
        for b in 0..<2 {
            #expect(Array(q8_1[(b * 36 + 4)..<(b * 36 + 36)]) == Array(q8_0[(b * 34 + 2)..<(b * 34 + 34)]))
            let d = Float(Float16(bitPattern: UInt16(q8_1[b * 36]) | UInt16(q8_1[b * 36 + 1]) << 8))
            let s = Float(Float16(bitPattern: UInt16(q8_1[b * 36 + 2]) | UInt16(q8_1[b * 36 + 3]) << 8))
            let sum = q8_1[(b * 36 + 4)..<(b * 36 + 36)].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
            #expect(abs(s - Float(sum) * d) <= abs(Float(sum) * d) * 1e-3 + 1e-4)
        }
    }

    /// The integer dot products equal the float dot product of the
    /// dequantized weights and activations (gguf-py-checked dequantization),
    /// up to float rounding.
    @Test(arguments: [GGMLType.q8_0, .q4_0, .q5_0, .q4_1, .q5_1])
    func integerDotEqualsTheDequantizedDot(_ type: GGMLType) {
        var writer = GGUFWriter()
        writer.addTensor("w", dims: [256], type: type, seed: 7)
        var weights = writer.tensors[0].bytes
        // Finite, realistic scales (and mins) in every block.
        for b in 0..<(256 / 32) {
            let scale = Float16(0.01 + Float(b) * 0.003).bitPattern
            weights[b * type.typeSize] = UInt8(truncatingIfNeeded: scale)
            weights[b * type.typeSize + 1] = UInt8(truncatingIfNeeded: scale >> 8)
            if type == .q4_1 || type == .q5_1 {
                let m = Float16(-0.05).bitPattern
                weights[b * type.typeSize + 2] = UInt8(truncatingIfNeeded: m)
                weights[b * type.typeSize + 3] = UInt8(truncatingIfNeeded: m >> 8)
            }
        }
        let x = (0..<256).map { Float(cos(Double($0) * 0.37)) * 2 }
        let activations = QuantizedDot.quantize(x, withSums: QuantizedDot.activationType(for: type) == .q8_1)
        let got = QuantizedDot.dot(type, weights: weights, activations: activations)
        let w = type.dequantize(weights)
        let a = QuantizedDot.activationType(for: type)!.dequantize(activations)
        var expected: Double = 0, magnitude: Double = 0
        for i in 0..<256 { expected += Double(w[i]) * Double(a[i]); magnitude += abs(Double(w[i]) * Double(a[i])) }
        // Q8_1's block sum is stored as FP16: one FP16 rounding per block on top of float rounding.
        #expect(abs(Double(got) - expected) <= 2e-3 * magnitude + 1e-6, "\(type): \(got) vs \(expected)")
        #expect(abs(Double(got) - expected) <= 1e-5 * magnitude || type == .q4_1 || type == .q5_1, "\(type): \(got) vs \(expected)")
    }
}
