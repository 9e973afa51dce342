import Foundation
import Testing
import TernTesting
import TernFormats
import TernONNX
import TernTensor

/// Reading the ONNX fixture format and comparing executor outputs with it.
///
/// A fixture `<name>.json` holds `{"inputs": {...}, "outputs": {...}}` (and,
/// in the hand-built fixtures, `"initializers"`), each entry
/// `{"datatype": "FLOAT", "shape": [...], "data": [flat list]}`; for the
/// `.onnx` fixtures the outputs are ONNX Runtime's.
enum ONNXFixtures {
    /// The fixtures that come with `.onnx` files (written by the loader's fixture script).
    static let modelDirectory = packageRoot.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx")
    /// JSON fixtures for graphs built by hand in the tests.
    static let handBuiltDirectory = packageRoot.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx-handbuilt")

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }

    /// The three sections of a fixture file.
    struct Fixture {
        var inputs: [String: AnyTensor]
        var outputs: [String: AnyTensor]
        var initializers: [String: AnyTensor]
    }

    static func load(_ url: URL) throws -> Fixture {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed])
        guard let root = object as? [String: Any] else { throw FixtureError(description: "\(url.lastPathComponent): not a JSON object") }
        func section(_ key: String) throws -> [String: AnyTensor] {
            guard let entries = root[key] as? [String: Any] else { return [:] }
            var values: [String: AnyTensor] = [:]
            for (name, entry) in entries { values[name] = try value(entry, name: name) }
            return values
        }
        return Fixture(inputs: try section("inputs"), outputs: try section("outputs"), initializers: try section("initializers"))
    }

    static func loadHandBuilt(_ name: String) throws -> Fixture {
        try load(handBuiltDirectory.appendingPathComponent("\(name).json"))
    }

    /// One `{"datatype", "shape", "data"}` entry. Numbers may also be the
    /// strings "NaN", "Infinity" and "-Infinity".
    static func value(_ entry: Any, name: String) throws -> AnyTensor {
        guard let e = entry as? [String: Any], let type = e["datatype"] as? String,
              let shape = (e["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
              let data = e["data"] as? [Any]
        else { throw FixtureError(description: "entry '\(name)' is not {datatype, shape, data}") }
        guard data.count == shape.reduce(1, *) else {
            throw FixtureError(description: "entry '\(name)': \(data.count) elements for shape \(shape)")
        }
        func number(_ x: Any) throws -> Double {
            if let n = x as? NSNumber { return n.doubleValue }
            switch x as? String {
            case "NaN"?, "nan"?: return .nan
            case "Infinity"?, "inf"?: return .infinity
            case "-Infinity"?, "-inf"?: return -.infinity
            default: throw FixtureError(description: "entry '\(name)': \(x) is not a number")
            }
        }
        func integer(_ x: Any) throws -> Int64 {
            guard let n = x as? NSNumber else { throw FixtureError(description: "entry '\(name)': \(x) is not an integer") }
            return n.int64Value
        }
        switch type {
        case "FLOAT": return .float(shape: shape, try data.map { Float(try number($0)) })
        case "FLOAT16": return .float16(try Tensor(shape: Shape(shape), scalars: try data.map { Float16(Float(try number($0))) }))
        case "DOUBLE": return .double(shape: shape, try data.map(number))
        case "INT64": return .int64(shape: shape, try data.map(integer))
        case "INT32": return .int32(try Tensor(shape: Shape(shape), scalars: try data.map { Int32(try integer($0)) }))
        case "UINT8": return .uint8(try Tensor(shape: Shape(shape), scalars: try data.map { UInt8(try integer($0)) }))
        case "BOOL": return .bool(shape: shape, try data.map { try number($0) != 0 })
        default: throw FixtureError(description: "entry '\(name)': unsupported datatype \(type)")
        }
    }
}

/// The largest relative error `actual` shows against `expected`
/// (|a − e| / |e| over the elements with |e| above `floor`), for reports.
func maxRelativeError(_ actual: AnyTensor?, _ expected: AnyTensor, floor: Double = 1e-3) -> Double {
    guard let actual, actual.count == expected.count else { return .infinity }
    let a = actual.doubleScalars, e = expected.doubleScalars
    var worst = 0.0
    for i in a.indices where abs(e[i]) > floor { worst = max(worst, abs(a[i] - e[i]) / abs(e[i])) }
    return worst
}

/// Records a failure unless `actual` matches `expected`: same element type
/// and shape, floating-point elements within `atol` absolute or `rtol`
/// relative (NaN matches NaN), other types exactly.
func expectONNXClose(
    _ actual: AnyTensor?, _ expected: AnyTensor, _ name: String,
    atol: Double = 1e-5, rtol: Double = 1e-4, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual else {
        Issue.record("\(name): missing output", sourceLocation: sourceLocation)
        return
    }
    guard actual.dtype == expected.dtype, actual.shape == expected.shape else {
        Issue.record("\(name): got \(actual.dtype.onnxName) \(actual.shape), expected \(expected.dtype.onnxName) \(expected.shape)",
                     sourceLocation: sourceLocation)
        return
    }
    let a = actual.doubleScalars, e = expected.doubleScalars
    let exact = !expected.dtype.isFloatingPoint
    for i in a.indices {
        let ok: Bool
        if exact {
            ok = a[i] == e[i]
        } else if a[i].isNaN || e[i].isNaN {
            ok = a[i].isNaN && e[i].isNaN
        } else {
            let diff = abs(a[i] - e[i])
            ok = a[i] == e[i] || diff <= atol || diff <= rtol * abs(e[i])
        }
        if !ok {
            Issue.record("\(name) \(expected.shape): element \(i) is \(a[i]), expected \(e[i])", sourceLocation: sourceLocation)
            return
        }
    }
}

/// Compares every expected output by name.
func expectONNXOutputs(
    _ actual: [String: AnyTensor], _ expected: [String: AnyTensor], sourceLocation: SourceLocation = #_sourceLocation
) {
    for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
        expectONNXClose(actual[name], value, name, sourceLocation: sourceLocation)
    }
}

/// Builds an initializer (raw little-endian bytes) from a value, as the
/// loader would.
func tensorData(_ name: String, _ value: AnyTensor) -> ONNXTensorData {
    ONNXTensorData(name: name, dtype: value.dtype, shape: value.shape.dimensions,
                   bytes: value.withLittleEndianBytes { Array($0) })
}

/// A declared graph input or output with every dimension fixed.
func valueInfo(_ name: String, _ type: DType, _ shape: [Int]?) -> ONNXValueInfo {
    ONNXValueInfo(name: name, dtype: type, shape: shape?.map { .fixed($0) })
}

/// A graph whose inputs are `fixture.inputs` (shapes declared) and whose
/// initializers are `fixture.initializers`, producing `outputs`.
func fixtureGraph(_ fixture: ONNXFixtures.Fixture, nodes: [ONNXNode], outputs: [String], opset: Int = 17) -> ONNXGraph {
    ONNXGraph(
        nodes: nodes,
        initializers: fixture.initializers.reduce(into: [:]) { $0[$1.key] = tensorData($1.key, $1.value) },
        inputs: fixture.inputs.sorted { $0.key < $1.key }.map { valueInfo($0.key, $0.value.dtype, $0.value.shape.dimensions) },
        outputs: outputs.map { valueInfo($0, fixture.outputs[$0]?.dtype ?? .float32, nil) },
        opsetVersion: opset)
}

/// Tensors from shapes and elements, as the tests write them (the counts
/// agree in every test; a mismatch stops the test).
extension AnyTensor {
    static func float(shape: [Int], _ scalars: [Float]) -> AnyTensor { .float32(tensor(shape, scalars)) }
    static func double(shape: [Int], _ scalars: [Double]) -> AnyTensor { .float64(tensor(shape, scalars)) }
    static func int64(shape: [Int], _ scalars: [Int64]) -> AnyTensor { .int64(tensor(shape, scalars)) }
    static func int32(shape: [Int], _ scalars: [Int32]) -> AnyTensor { .int32(tensor(shape, scalars)) }
    static func uint8(shape: [Int], _ scalars: [UInt8]) -> AnyTensor { .uint8(tensor(shape, scalars)) }
    static func bool(shape: [Int], _ scalars: [Bool]) -> AnyTensor { .bool(tensor(shape, scalars)) }

    private static func tensor<T: TensorScalar>(_ shape: [Int], _ scalars: [T]) -> Tensor<T> {
        do { return try Tensor(shape: Shape(shape), scalars: scalars) } catch {
            preconditionFailure("test tensor: \(scalars.count) elements for shape \(shape)")
        }
    }

    /// The FLOAT tensor, or nil.
    var testFloats: Tensor<Float>? { tensor(of: Float.self) }
}
