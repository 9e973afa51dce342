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
        var inputs: [String: ONNXValue]
        var outputs: [String: ONNXValue]
        var initializers: [String: ONNXValue]
    }

    static func load(_ url: URL) throws -> Fixture {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed])
        guard let root = object as? [String: Any] else { throw FixtureError(description: "\(url.lastPathComponent): not a JSON object") }
        func section(_ key: String) throws -> [String: ONNXValue] {
            guard let entries = root[key] as? [String: Any] else { return [:] }
            var values: [String: ONNXValue] = [:]
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
    static func value(_ entry: Any, name: String) throws -> ONNXValue {
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
        case "DOUBLE": return .double(shape: shape, try data.map(number))
        case "INT64": return .int64(shape: shape, try data.map(integer))
        case "INT32": return .int32(ONNXArray(shape: shape, scalars: try data.map { Int32(try integer($0)) }))
        case "UINT8": return .uint8(ONNXArray(shape: shape, scalars: try data.map { UInt8(try integer($0)) }))
        case "BOOL": return .bool(shape: shape, try data.map { try number($0) != 0 })
        default: throw FixtureError(description: "entry '\(name)': unsupported datatype \(type)")
        }
    }
}

/// Records a failure unless `actual` matches `expected`: same element type
/// and shape, FLOAT/DOUBLE elements within 1e-5 absolute or 1e-4 relative
/// (NaN matches NaN), other types exactly.
func expectONNXClose(
    _ actual: ONNXValue?, _ expected: ONNXValue, _ name: String,
    atol: Double = 1e-5, rtol: Double = 1e-4, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual else {
        Issue.record("\(name): missing output", sourceLocation: sourceLocation)
        return
    }
    guard actual.dataType == expected.dataType, actual.shape == expected.shape else {
        Issue.record("\(name): got \(actual.dataType.name) \(actual.shape), expected \(expected.dataType.name) \(expected.shape)",
                     sourceLocation: sourceLocation)
        return
    }
    let a = actual.doubleScalars, e = expected.doubleScalars
    let exact = ![ONNXDataType.float, .double].contains(expected.dataType)
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
    _ actual: [String: ONNXValue], _ expected: [String: ONNXValue], sourceLocation: SourceLocation = #_sourceLocation
) {
    for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
        expectONNXClose(actual[name], value, name, sourceLocation: sourceLocation)
    }
}

/// Builds an initializer (raw little-endian bytes) from a value, as the
/// loader would.
func tensorData(_ name: String, _ value: ONNXValue) -> ONNXTensorData {
    var bytes: [UInt8] = []
    switch value {
    case let .float(t): for x in t.scalars { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
    case let .double(a): for x in a.scalars { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
    case let .int64(a): for x in a.scalars { withUnsafeBytes(of: x.littleEndian) { bytes += $0 } }
    case let .int32(a): for x in a.scalars { withUnsafeBytes(of: x.littleEndian) { bytes += $0 } }
    case let .uint8(a): bytes = a.scalars
    case let .bool(a): bytes = a.scalars.map { $0 ? 1 : 0 }
    }
    return ONNXTensorData(name: name, dataType: value.dataType, shape: value.shape, bytes: bytes)
}

/// A declared graph input or output with every dimension fixed.
func valueInfo(_ name: String, _ type: ONNXDataType, _ shape: [Int]?) -> ONNXValueInfo {
    ONNXValueInfo(name: name, dataType: type, shape: shape?.map { .fixed($0) })
}

/// A graph whose inputs are `fixture.inputs` (shapes declared) and whose
/// initializers are `fixture.initializers`, producing `outputs`.
func fixtureGraph(_ fixture: ONNXFixtures.Fixture, nodes: [ONNXNode], outputs: [String], opset: Int = 17) -> ONNXGraph {
    ONNXGraph(
        nodes: nodes,
        initializers: fixture.initializers.reduce(into: [:]) { $0[$1.key] = tensorData($1.key, $1.value) },
        inputs: fixture.inputs.keys.sorted().map { valueInfo($0, fixture.inputs[$0]!.dataType, fixture.inputs[$0]!.shape) },
        outputs: outputs.map { valueInfo($0, fixture.outputs[$0]?.dataType ?? .float, nil) },
        opsetVersion: opset)
}
