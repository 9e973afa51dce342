import Foundation
import TernFormats
import TernServing
import TernSupport
import TernTensor

/// Tensor data read from JSON: the values in row-major order and the shape
/// the nesting described (`[count]` for a flat list, `[]` for a scalar).
struct FlatTensorData {
    var values: [Double] = []
    var nestedShape: [Int] = []
}

/// What JSON scalars a tensor's data may hold.
enum ScalarKind {
    /// JSON numbers only.
    case numbers
    /// JSON `true`/`false` only (read as 1 and 0).
    case booleans
}

enum TensorJSON {
    /// Flattens `value` (a scalar or a rectangular nested list) in row-major order.
    /// - Parameters:
    ///   - field: the field's name for error messages (`inputs[0].data`).
    ///   - limit: most elements accepted.
    /// - Throws: 400 for non-rectangular nesting or values of the wrong kind,
    ///   413 past `limit` elements.
    static func flatten(_ value: JSONValue, field: String, kind: ScalarKind, limit: Int) throws -> FlatTensorData {
        var data = FlatTensorData()
        data.nestedShape = try shape(of: value, field: field)
        var total = 1
        for d in data.nestedShape {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= limit else { throw tooMany(limit) }
            total = product
        }
        data.values.reserveCapacity(total)
        try append(value, to: &data.values, field: field, kind: kind)
        return data
    }

    static func tooMany(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "the tensor has more than \(limit) elements")
    }

    /// The shape of a nested list, checking that every level is rectangular.
    private static func shape(of value: JSONValue, field: String) throws -> [Int] {
        switch value {
        case let .numbers(values):
            return [values.count]
        case let .array(items):
            guard let first = items.first else { return [0] }
            let inner = try shape(of: first, field: field)
            let firstIsList = isList(first)
            for (i, item) in items.enumerated().dropFirst() {
                var same = isList(item) == firstIsList
                if same, firstIsList { same = try shape(of: item, field: field) == inner }
                guard same else {
                    throw APIError(.badRequest, "'\(field)' is not rectangular: element \(i) differs from element 0")
                }
            }
            return [items.count] + (firstIsList ? inner : [])
        default:
            return []
        }
    }

    private static func isList(_ value: JSONValue) -> Bool {
        switch value {
        case .numbers, .array: return true
        default: return false
        }
    }

    private static func append(_ value: JSONValue, to out: inout [Double], field: String, kind: ScalarKind) throws {
        switch value {
        case let .numbers(values):
            guard kind == .numbers || values.isEmpty else {
                throw APIError(.badRequest, "'\(field)' must hold true or false values, got a number")
            }
            out.append(contentsOf: values)
        case let .array(items):
            for item in items { try append(item, to: &out, field: field, kind: kind) }
        case let .bool(b) where kind == .booleans:
            out.append(b ? 1 : 0)
        case .int, .double, .float:
            guard kind == .numbers, let n = value.number else {
                throw APIError(.badRequest, "'\(field)' must hold true or false values, got a number")
            }
            out.append(n)
        default:
            let expected = kind == .numbers ? "numbers" : "true or false values"
            throw APIError(.badRequest, "'\(field)' must hold \(expected), got \(value.kind)")
        }
    }

    /// Converts checked values to the model's input: uint8 when the model
    /// takes uint8 and every value is an integer in 0...255 (and `preferBytes`
    /// allows it), float32 otherwise.
    /// - Throws: 400 when a value does not fit in a float32.
    static func modelInput(_ values: [Double], batch: Int, model: TernModel, preferBytes: Bool, field: String) throws -> ModelInput {
        let shape = model.spec.input.shape.batched(batch)
        if preferBytes, model.spec.input.dtype == .uint8,
           values.allSatisfy({ $0 >= 0 && $0 <= 255 && $0.rounded(.towardZero) == $0 }) {
            return .uint8(try Tensor(shape: shape, scalars: values.lazy.map { UInt8($0) }))
        }
        var floats = [Float]()
        floats.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            guard v.isFinite, abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                throw APIError(.badRequest, "'\(field)' element \(i) is not a finite 32-bit float")
            }
            floats.append(Float(v))
        }
        return .float32(try Tensor(shape: shape, scalars: floats))
    }

    /// The elements per sample the model takes.
    static func sampleCount(_ model: TernModel) -> Int { model.spec.input.shape.count }

    /// An `(n, units)` output as a list of per-sample lists.
    static func rows(_ output: Tensor<Float>) -> JSONValue {
        let n = output.rank > 0 ? output.shape[0] : 0
        let units = n > 0 ? output.count / n : 0
        return output.withUnsafeBufferPointer { buffer in
            .array((0..<n).map { row in .floats(Array(buffer[row * units ..< (row + 1) * units])) })
        }
    }
}
