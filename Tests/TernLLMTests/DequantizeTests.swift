import Foundation
import Testing
@testable import TernLLM

/// The reference dequantization against llama.cpp's gguf-py (0.19.0), on
/// seeded random blocks (`scripts/make_gguf_fixtures.py`).
@Suite struct DequantizeTests {
    struct Case: Sendable, CustomStringConvertible {
        var type: GGMLType
        var bytes: [UInt8]
        var values: [Float]
        var description: String { type.description }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dequantize.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let types = root["types"] as? [String: [String: Any]] else { return [] }
        return GGMLType.allCases.compactMap { type in
            guard let entry = types[type.description], let hex = entry["bytes"] as? String,
                  let values = entry["values"] as? [Double] else { return nil }
            var bytes: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                bytes.append(UInt8(hex[i..<j], radix: 16) ?? 0)
                i = j
            }
            return Case(type: type, bytes: bytes, values: values.map(Float.init))
        }
    }()

    @Test func everyTypeTernRunsHasAFixture() {
        #expect(Set(Self.cases.map(\.type)) == [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K])
    }

    @Test(arguments: cases)
    func matchesGGUFPy(_ c: Case) {
        let got = c.type.dequantize(c.bytes)
        #expect(got.count == c.values.count)
        var worst: Float = 0
        for (g, e) in zip(got, c.values) { worst = max(worst, abs(g - e) / max(1e-6, abs(e))) }
        // gguf-py computes in float32 with numpy; the products may round differently in the last bit.
        #expect(worst <= 1e-6, "\(c.type): worst relative difference \(worst)")
    }
}
