import Foundation
import TernData
import TernTensor

/// A float column.
func num(_ name: String, _ values: [Double?], _ type: ColumnType = .float) -> Column {
    Column(name: name, type: type, values: .numbers(values))
}

/// A categorical column.
func cat(_ name: String, _ values: [String?]) -> Column {
    Column(name: name, type: .categorical, values: .strings(values))
}

/// Decodes one step from JSON text.
func decodeStep(_ json: String) throws -> TabularStep {
    try JSONDecoder().decode(TabularStep.self, from: Data(json.utf8))
}

/// Decodes a step list from JSON text.
func decodeSteps(_ json: String) throws -> [TabularStep] {
    try JSONDecoder().decode([TabularStep].self, from: Data(json.utf8))
}

/// The message of the error `body` throws, or "" when it does not throw.
func errorMessage(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

/// The feature matrix as rows of floats.
func featureRows(_ t: Tensor<Float>) -> [[Float]] {
    let width = t.shape[1]
    let s = t.scalars
    return (0..<t.shape[0]).map { Array(s[($0 * width)..<(($0 + 1) * width)]) }
}

/// Whether two numbers agree to a relative tolerance.
func near(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

func near(_ a: Float, _ b: Float, _ tolerance: Float = 1e-5) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}
