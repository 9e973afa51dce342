import Foundation
import TernFormats
import TernTensor

/// Binary arithmetic, comparisons, Where and Not, with multidirectional
/// broadcasting. Both operands of arithmetic and comparisons must have the
/// same element type (as ONNX requires), except Pow's exponent.
extension ONNXOps {
    enum Arithmetic { case add, sub, mul, div, pow }

    static func binaryArithmetic(_ kind: Arithmetic) -> Compiler {
        { context in
            _ = try context.attributes(allowed: [])
            try context.expect(inputs: 2...2)
            return { inputs in
                [try arithmetic(kind, input(inputs, 0, "A"), input(inputs, 1, "B"))]
            }
        }
    }

    static func arithmetic(_ kind: Arithmetic, _ a: AnyTensor, _ b: AnyTensor) throws -> AnyTensor {
        if kind == .pow { return try power(a, b) }
        switch (a, b) {
        case let (.float32(x), .float32(y)): return .float32(try floatingArithmetic(kind, x, y))
        case let (.float64(x), .float64(y)): return .float64(try floatingArithmetic(kind, x, y))
        case let (.int64(x), .int64(y)): return .int64(try integerArithmetic(kind, x, y))
        case let (.int32(x), .int32(y)): return .int32(try integerArithmetic(kind, x, y))
        case let (.int16(x), .int16(y)): return .int16(try integerArithmetic(kind, x, y))
        case let (.int8(x), .int8(y)): return .int8(try integerArithmetic(kind, x, y))
        case let (.uint64(x), .uint64(y)): return .uint64(try integerArithmetic(kind, x, y))
        case let (.uint32(x), .uint32(y)): return .uint32(try integerArithmetic(kind, x, y))
        case let (.uint16(x), .uint16(y)): return .uint16(try integerArithmetic(kind, x, y))
        case let (.uint8(x), .uint8(y)): return .uint8(try integerArithmetic(kind, x, y))
        default:
            throw ONNXKernelError("operands must have the same numeric element type, got \(a.dtype.onnxName) and \(b.dtype.onnxName)")
        }
    }

    static func floatingArithmetic<T: TensorScalar & BinaryFloatingPoint>(
        _ kind: Arithmetic, _ x: Tensor<T>, _ y: Tensor<T>
    ) throws -> Tensor<T> {
        switch kind {
        case .add: return try broadcastTensors(x, y, +)
        case .sub: return try broadcastTensors(x, y, -)
        case .mul: return try broadcastTensors(x, y, *)
        case .div, .pow: return try broadcastTensors(x, y, /)
        }
    }

    /// Wrapping integer arithmetic; division truncates toward zero.
    static func integerArithmetic<T: TensorScalar & FixedWidthInteger>(
        _ kind: Arithmetic, _ x: Tensor<T>, _ y: Tensor<T>
    ) throws -> Tensor<T> {
        switch kind {
        case .add: return try broadcastTensors(x, y, &+)
        case .sub: return try broadcastTensors(x, y, &-)
        case .mul: return try broadcastTensors(x, y, &*)
        case .div, .pow:
            if y.withUnsafeBufferPointer({ $0.contains(0) }) { throw ONNXKernelError("integer division by zero") }
            return try broadcastTensors(x, y) { $0.dividedReportingOverflow(by: $1).partialValue }
        }
    }

    /// Pow: a FLOAT, DOUBLE or integer base raised to an exponent of any
    /// numeric type; the result has the base's type.
    static func power(_ a: AnyTensor, _ b: AnyTensor) throws -> AnyTensor {
        guard b.dtype != .bool, b.dtype != .string else { throw ONNXKernelError("exponent must be numeric, got \(b.dtype.onnxName)") }
        switch a {
        case let .float32(x):
            let e: Tensor<Float>
            if case let .float32(t) = b { e = t } else {
                e = try Tensor(shape: b.shape, scalars: b.doubleScalars.map { Float($0) })
            }
            return .float32(try broadcastTensors(x, e) { base, exponent in
                exponent == 2 ? base * base : Foundation.pow(base, exponent)
            })
        case let .float64(x):
            let e = try Tensor<Double>(shape: b.shape, scalars: b.doubleScalars)
            return .float64(try broadcastTensors(x, e) { Foundation.pow($0, $1) })
        case .int64, .int32:
            let base = try Tensor<Double>(shape: a.shape, scalars: a.doubleScalars)
            let e = try Tensor<Double>(shape: b.shape, scalars: b.doubleScalars)
            let r: Tensor<Int64> = try broadcastTensors(base, e) {
                let p = Foundation.pow($0, $1)
                return p.isFinite && Swift.abs(p) < 9.2e18 ? Int64(p) : Int64.min
            }
            return a.dtype == .int64 ? .int64(r) : .int32(r.map { Int32(truncatingIfNeeded: $0) })
        default:
            throw ONNXKernelError("base must be FLOAT, DOUBLE, INT64 or INT32, got \(a.dtype.onnxName)")
        }
    }

    enum Comparison { case equal, less, greater, lessOrEqual, greaterOrEqual }

    static func comparison(_ kind: Comparison) -> Compiler {
        { context in
            _ = try context.attributes(allowed: [])
            try context.expect(inputs: 2...2)
            return { inputs in [try compare(kind, input(inputs, 0, "A"), input(inputs, 1, "B"))] }
        }
    }

    static func compare(_ kind: Comparison, _ a: AnyTensor, _ b: AnyTensor) throws -> AnyTensor {
        func run<T: TensorScalar & Comparable>(_ x: Tensor<T>, _ y: Tensor<T>) throws -> AnyTensor {
            let op: (T, T) -> Bool
            switch kind {
            case .equal: op = (==)
            case .less: op = (<)
            case .greater: op = (>)
            case .lessOrEqual: op = (<=)
            case .greaterOrEqual: op = (>=)
            }
            return .bool(try broadcastTensors(x, y, op))
        }
        switch (a, b) {
        case let (.float32(x), .float32(y)): return try run(x, y)
        case let (.float64(x), .float64(y)): return try run(x, y)
        case let (.int64(x), .int64(y)): return try run(x, y)
        case let (.int32(x), .int32(y)): return try run(x, y)
        case let (.int16(x), .int16(y)): return try run(x, y)
        case let (.int8(x), .int8(y)): return try run(x, y)
        case let (.uint64(x), .uint64(y)): return try run(x, y)
        case let (.uint32(x), .uint32(y)): return try run(x, y)
        case let (.uint16(x), .uint16(y)): return try run(x, y)
        case let (.uint8(x), .uint8(y)): return try run(x, y)
        case let (.bool(x), .bool(y)) where kind == .equal: return .bool(try broadcastTensors(x, y, ==))
        default:
            throw ONNXKernelError("operands must have the same comparable element type, got \(a.dtype.onnxName) and \(b.dtype.onnxName)")
        }
    }

    /// Where(condition, X, Y): X where the condition holds, else Y, all three broadcast.
    static let whereOp: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 3...3)
        return { inputs in
            let conditionValue = try input(inputs, 0, "condition")
            guard case let .bool(condition) = conditionValue else {
                throw ONNXKernelError("condition must be BOOL, got \(conditionValue.dtype.onnxName)")
            }
            let x = try input(inputs, 1, "X"), y = try input(inputs, 2, "Y")
            guard x.dtype == y.dtype else {
                throw ONNXKernelError("X and Y must have the same element type, got \(x.dtype.onnxName) and \(y.dtype.onnxName)")
            }
            let shape = try broadcastShape([condition.shape.dimensions, x.dims, y.dims])
            let count = shape.reduce(1, *)
            let sc = broadcastSources(condition.shape.dimensions, to: shape)
            let sx = broadcastSources(x.dims, to: shape), sy = broadcastSources(y.dims, to: shape)
            // Pick from the concatenation [X, Y]: index i of X or count(X) + j of Y.
            let xCount = x.count
            var sources = [Int](repeating: 0, count: count)
            condition.withUnsafeBufferPointer { c in
                for i in 0..<count { sources[i] = c[sc?[i] ?? i] ? (sx?[i] ?? i) : xCount + (sy?[i] ?? i) }
            }
            let joined = try AnyTensor.concatenating([x.reshaped([xCount]), y.reshaped([y.count])], axis: 0,
                                                     shape: [xCount + y.count])
            return [try joined.gathering(sources, shape: shape)]
        }
    }

    static let notOp: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 1...1)
        return { inputs in
            let value = try input(inputs, 0, "X")
            guard case let .bool(x) = value else { throw ONNXKernelError("X must be BOOL, got \(value.dtype.onnxName)") }
            return [.bool(x.map { !$0 })]
        }
    }
}
