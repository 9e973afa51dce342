import Foundation
import TernSupport
import TernTensor

extension DType {
    /// TF Serving's name (`DT_FLOAT`, `DT_UINT8`, `DT_STRING`).
    var tfName: String {
        switch self {
        case .float16: return "DT_HALF"
        case .float32: return "DT_FLOAT"
        case .float64: return "DT_DOUBLE"
        case .string: return "DT_STRING"
        default: return "DT_" + v2Name
        }
    }

    /// The values an integer type holds, nil for the others.
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: return 0...Double(UInt8.max)
        case .uint16: return 0...Double(UInt16.max)
        case .uint32: return 0...Double(UInt32.max)
        case .uint64: return 0...Double(UInt64.max)
        case .int8: return Double(Int8.min)...Double(Int8.max)
        case .int16: return Double(Int16.min)...Double(Int16.max)
        case .int32: return Double(Int32.min)...Double(Int32.max)
        case .int64: return Double(Int64.min)...Double(Int64.max)
        default: return nil
        }
    }
}

/// Tensor data in JSON, both ways: a scalar or a rectangular nested list,
/// read in row-major order straight into the typed buffer the element type
/// needs (numbers convert from their digits, never through a tree of
/// values per element), and tensors written back as nested lists.
enum TensorJSON {
    static func tooMany(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "the tensor has more than \(limit) elements")
    }

    static func bad(_ message: String) -> APIError { APIError(.badRequest, message) }

    /// The shape a nested list describes (`[count]` for a flat list, `[]`
    /// for a scalar), checking that every level is rectangular and that
    /// the element count stays within `limit`.
    static func shape(of value: JSONValue, field: String, limit: Int) throws -> [Int] {
        let shape = try nestedShape(value, field: field)
        var total = 1
        for d in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= limit else { throw tooMany(limit) }
            total = product
        }
        return shape
    }

    private static func nestedShape(_ value: JSONValue, field: String) throws -> [Int] {
        switch value {
        case let .numbers(values):
            return [values.count]
        case let .array(items):
            guard let first = items.first else { return [0] }
            let inner = try nestedShape(first, field: field)
            let firstIsList = isList(first)
            for (i, item) in items.enumerated().dropFirst() {
                var same = isList(item) == firstIsList
                if same, firstIsList { same = try nestedShape(item, field: field) == inner }
                guard same else { throw bad("'\(field)' is not rectangular: element \(i) differs from element 0") }
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

    /// The leaves of `value` in row-major order: runs of numbers (parsed
    /// lists) and single scalars.
    private enum Leaf {
        case numbers(JSONNumbers)
        case scalar(JSONValue)
    }

    private static func leaves(_ value: JSONValue, into out: inout [Leaf]) {
        switch value {
        case let .numbers(list): out.append(.numbers(list))
        case let .array(items): for item in items { leaves(item, into: &out) }
        default: out.append(.scalar(value))
        }
    }

    /// `value` as a tensor of `dtype` and `shape` (nil: the shape its
    /// nesting describes); any rectangular nesting with the shape's element
    /// count is read in row-major order, as Triton does.
    /// - Parameter missing: whether JSON `null` elements are accepted, as
    ///   NaN (the tensor is then float64) or nil strings.
    /// - Throws: 400 naming `field` for the wrong kind of element, a value
    ///   the type cannot hold or a count that does not match; 413 past `limit`.
    static func decode(_ value: JSONValue, dtype: DType, shape: [Int]?, missing: Bool = false,
                       field: String, limit: Int) throws -> AnyTensor {
        let nested = try TensorJSON.shape(of: value, field: field, limit: limit)
        let count = nested.reduce(1, *)
        if let shape, shape.reduce(1, *) != count {
            throw bad("'shape' \(shape) has \(shape.reduce(1, *)) elements but '\(field)' has \(count)")
        }
        let target = Shape(shape ?? nested)
        var parts: [Leaf] = []
        leaves(value, into: &parts)
        switch dtype {
        case .string:
            return .string(try StringTensor(shape: target, values: strings(parts, missing: missing, field: field)))
        case .bool where !missing:
            return .bool(try Tensor(shape: target, scalars: booleans(parts, field: field)))
        case .float32 where !missing:
            return .float32(try Tensor(shape: target, scalars: floats(parts, field: field)))
        case .int64 where !missing:
            return .int64(try Tensor(shape: target, scalars: int64s(parts, field: field)))
        case .uint8 where !missing, .uint16 where !missing, .uint32 where !missing,
             .int8 where !missing, .int16 where !missing, .int32 where !missing:
            // Integers from their digits (no double in between), then the type's range.
            let values = try int64s(parts, field: field, type: dtype)
            let range = dtype.integerRange ?? 0...0
            if let i = values.firstIndex(where: { !range.contains(Double($0)) }) {
                throw bad("'\(field)' element \(i) (\(values[i])) is not a valid \(dtype.v2Name) value")
            }
            switch dtype {
            case .uint8: return .uint8(try Tensor(shape: target, scalars: values.map { UInt8(truncatingIfNeeded: $0) }))
            case .uint16: return .uint16(try Tensor(shape: target, scalars: values.map { UInt16(truncatingIfNeeded: $0) }))
            case .uint32: return .uint32(try Tensor(shape: target, scalars: values.map { UInt32(truncatingIfNeeded: $0) }))
            case .int8: return .int8(try Tensor(shape: target, scalars: values.map { Int8(truncatingIfNeeded: $0) }))
            case .int16: return .int16(try Tensor(shape: target, scalars: values.map { Int16(truncatingIfNeeded: $0) }))
            default: return .int32(try Tensor(shape: target, scalars: values.map { Int32(truncatingIfNeeded: $0) }))
            }
        default:
            let values = try doubles(parts, missing: missing, field: field)
            if missing { return .float64(try Tensor(shape: target, scalars: values)) }
            return try convert(values, to: dtype, shape: target, field: field)
        }
    }

    /// Checked doubles as a tensor of a numeric `dtype`.
    static func convert(_ values: [Double], to dtype: DType, shape: Shape, field: String) throws -> AnyTensor {
        if let range = dtype.integerRange {
            for (i, v) in values.enumerated() where !(range.contains(v) && v.rounded(.towardZero) == v) {
                throw bad("'\(field)' element \(i) (\(v)) is not a valid \(dtype.v2Name) value")
            }
        } else {
            for (i, v) in values.enumerated() where !v.isFinite {
                throw bad("'\(field)' element \(i) is not a finite number")
            }
        }
        switch dtype {
        case .uint8: return .uint8(try Tensor(shape: shape, scalars: values.map { UInt8($0) }))
        case .uint16: return .uint16(try Tensor(shape: shape, scalars: values.map { UInt16($0) }))
        case .uint32: return .uint32(try Tensor(shape: shape, scalars: values.map { UInt32($0) }))
        case .uint64: return .uint64(try Tensor(shape: shape, scalars: values.map { UInt64(exactly: $0) ?? .max }))
        case .int8: return .int8(try Tensor(shape: shape, scalars: values.map { Int8($0) }))
        case .int16: return .int16(try Tensor(shape: shape, scalars: values.map { Int16($0) }))
        case .int32: return .int32(try Tensor(shape: shape, scalars: values.map { Int32($0) }))
        case .int64: return .int64(try Tensor(shape: shape, scalars: values.map { Int64(exactly: $0) ?? .max }))
        case .float16:
            let halves = values.map { Float16($0) }
            if let i = halves.firstIndex(where: { !$0.isFinite }) { throw bad("'\(field)' element \(i) is not a finite 16-bit float") }
            return .float16(try Tensor(shape: shape, scalars: halves))
        case .float32:
            let floats = values.map { Float($0) }
            if let i = floats.firstIndex(where: { !$0.isFinite }) { throw bad("'\(field)' element \(i) is not a finite 32-bit float") }
            return .float32(try Tensor(shape: shape, scalars: floats))
        case .float64: return .float64(try Tensor(shape: shape, scalars: values))
        case .bool: return .bool(try Tensor(shape: shape, scalars: values.map { $0 != 0 }))
        case .string: throw bad("'\(field)' must hold strings")
        }
    }

    private static func numberError(_ error: JSONNumberError, offset: Int, field: String) -> APIError {
        let reason: String
        switch error.reason {
        case let .notFinite(bits): reason = "is not a finite \(bits)-bit float"
        case .notInteger: reason = "is not an integer"
        case .outOfRange: reason = "does not fit in a 64-bit integer"
        }
        return bad("'\(field)' element \(offset + error.index) (\(error.literal.prefix(32))) \(reason)")
    }

    private static func floats(_ parts: [Leaf], field: String) throws -> [Float] {
        if parts.count == 1, case let .numbers(list) = parts[0] {
            do { return try list.floats() } catch { throw numberError(error, offset: 0, field: field) }
        }
        var out: [Float] = []
        for part in parts {
            switch part {
            case let .numbers(list):
                do { out += try list.floats() } catch { throw numberError(error, offset: out.count, field: field) }
            case let .scalar(v):
                guard let d = v.number else { throw wrongKind(v, expected: "numbers", field: field) }
                let f = Float(d)
                guard f.isFinite else { throw bad("'\(field)' element \(out.count) is not a finite 32-bit float") }
                out.append(f)
            }
        }
        return out
    }

    /// - Parameter type: the element type named when a value is not an
    ///   integer (default: the error says why).
    private static func int64s(_ parts: [Leaf], field: String, type: DType? = nil) throws -> [Int64] {
        var out: [Int64] = []
        for part in parts {
            switch part {
            case let .numbers(list):
                do { out += try list.int64s() } catch {
                    guard let type else { throw numberError(error, offset: out.count, field: field) }
                    throw bad("'\(field)' element \(out.count + error.index) (\(error.literal.prefix(32))) is not a valid \(type.v2Name) value")
                }
            case let .scalar(.int(i)):
                out.append(i)
            case let .scalar(v):
                guard v.number != nil else { throw wrongKind(v, expected: "numbers", field: field) }
                throw bad("'\(field)' element \(out.count) is not a valid \((type ?? .int64).v2Name) value")
            }
        }
        return out
    }

    private static func doubles(_ parts: [Leaf], missing: Bool, field: String) throws -> [Double] {
        var out: [Double] = []
        for part in parts {
            switch part {
            case let .numbers(list): out += list.doubles()
            case .scalar(.null) where missing: out.append(.nan)
            case let .scalar(.bool(b)) where missing: out.append(b ? 1 : 0)
            case let .scalar(v):
                guard let d = v.number else { throw wrongKind(v, expected: "numbers", field: field) }
                if missing, !d.isFinite { throw bad("'\(field)' element \(out.count) is not a finite number") }
                out.append(d)
            }
        }
        return out
    }

    private static func booleans(_ parts: [Leaf], field: String) throws -> [Bool] {
        var out: [Bool] = []
        for part in parts {
            switch part {
            case let .numbers(list) where list.isEmpty: continue
            case let .scalar(.bool(b)): out.append(b)
            case let .scalar(v): throw wrongKind(v, expected: "true or false values", field: field)
            case .numbers: throw bad("'\(field)' must hold true or false values, got a number")
            }
        }
        return out
    }

    private static func strings(_ parts: [Leaf], missing: Bool, field: String) throws -> [String?] {
        var out: [String?] = []
        for part in parts {
            switch part {
            case let .numbers(list) where list.isEmpty: continue
            case let .scalar(.string(s)): out.append(s)
            case .scalar(.null) where missing: out.append(nil)
            case .numbers: throw bad("'\(field)' is BYTES but holds numbers")
            case let .scalar(v): throw wrongKind(v, expected: "strings", field: field)
            }
        }
        return out
    }

    private static func wrongKind(_ value: JSONValue, expected: String, field: String) -> APIError {
        if value.number != nil, expected != "numbers" { return bad("'\(field)' must hold \(expected), got a number") }
        return bad("'\(field)' must hold \(expected), got \(value.kind)")
    }

    /// The element type TF Serving's untyped JSON reads as, for an input
    /// that takes any element type: strings when any element is one (the
    /// numbers among them as text), else float64 (null as NaN).
    static func inferredType(_ value: JSONValue) -> DType {
        var parts: [Leaf] = []
        leaves(value, into: &parts)
        let hasString = parts.contains { if case .scalar(.string) = $0 { return true } else { return false } }
        return hasString ? .string : .float64
    }

    /// Like ``decode(_:dtype:shape:missing:field:limit:)`` for strings, but
    /// numbers become their text (integers without a fraction).
    static func decodeText(_ value: JSONValue, field: String, limit: Int) throws -> AnyTensor {
        let nested = try shape(of: value, field: field, limit: limit)
        var parts: [Leaf] = []
        leaves(value, into: &parts)
        var out: [String?] = []
        func text(_ d: Double) -> String { d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d) }
        for part in parts {
            switch part {
            case let .numbers(list): out += list.doubles().map(text)
            case let .scalar(.string(s)): out.append(s)
            case .scalar(.null): out.append(nil)
            case let .scalar(.bool(b)): out.append(b ? "true" : "false")
            case let .scalar(v):
                guard let d = v.number else { throw wrongKind(v, expected: "strings or numbers", field: field) }
                out.append(text(d))
            }
        }
        return .string(try StringTensor(shape: Shape(nested), values: out))
    }

    // MARK: Writing

    /// The elements as a flat JSON list (float32 compactly, as `.floats`).
    static func flat(_ tensor: AnyTensor) -> JSONValue {
        switch tensor {
        case let .float32(t): return .floats(t.scalars)
        case let .float16(t): return .floats(t.scalars.map { Float($0) })
        default: return .array(elements(tensor))
        }
    }

    private static func elements(_ tensor: AnyTensor) -> [JSONValue] {
        switch tensor {
        case let .float32(t): return t.scalars.map { .float($0) }
        case let .float16(t): return t.scalars.map { .float(Float($0)) }
        case let .float64(t): return t.scalars.map { .double($0) }
        case let .bool(t): return t.scalars.map { .bool($0) }
        case let .string(t): return t.values.map { $0.map { .string($0) } ?? .null }
        case let .uint64(t): return t.scalars.map { $0 <= UInt64(Int64.max) ? .int(Int64($0)) : .double(Double($0)) }
        default: return tensor.doubleScalars.map { .int(Int64($0)) }
        }
    }

    /// A tensor as nested JSON lists (one sample's when `row` is given).
    static func nested(_ tensor: AnyTensor, row: Int? = nil) -> JSONValue {
        var value = tensor
        var shape = tensor.shape.dimensions
        if let row, !shape.isEmpty {
            value = tensor.slice(rows: row..<(row + 1))
            shape.removeFirst()
        }
        guard let last = shape.last else { return elements(value).first ?? .null }
        // The innermost lists compactly; the outer levels as arrays of them.
        let flatValue = (try? value.reshaped(Shape([value.count]))) ?? value
        let innermost: [JSONValue] = (0..<shape.dropLast().reduce(1, *)).map { r in
            flat(flatValue.slice(rows: (r * last)..<((r + 1) * last)))
        }
        return nest(innermost[...], shape.dropLast()[...])
    }

    private static func nest(_ items: ArraySlice<JSONValue>, _ shape: ArraySlice<Int>) -> JSONValue {
        guard let first = shape.first else { return items.first ?? .array([]) }
        let rest = shape.dropFirst()
        let per = rest.reduce(1, *)
        return .array((0..<first).map { i in
            nest(items[(items.startIndex + i * per)..<(items.startIndex + (i + 1) * per)], rest)
        })
    }
}
