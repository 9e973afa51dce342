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

    static func arithmetic(_ kind: Arithmetic, _ a: ONNXValue, _ b: ONNXValue) throws -> ONNXValue {
        if kind == .pow { return try power(a, b) }
        switch (a, b) {
        case let (.float(x), .float(y)):
            switch kind {
            case .add: return .float(try broadcastTensors(x, y, +))
            case .sub: return .float(try broadcastTensors(x, y, -))
            case .mul: return .float(try broadcastTensors(x, y, *))
            case .div, .pow: return .float(try broadcastTensors(x, y, /))
            }
        case let (.double(x), .double(y)):
            let op: (Double, Double) -> Double
            switch kind {
            case .add: op = (+)
            case .sub: op = (-)
            case .mul: op = (*)
            case .div, .pow: op = (/)
            }
            let (shape, r) = try broadcastArrays(x.scalars, x.shape, y.scalars, y.shape, op)
            return .double(ONNXArray(shape: shape, scalars: r))
        case let (.int64(x), .int64(y)): return .int64(try integerArithmetic(kind, x, y))
        case let (.int32(x), .int32(y)): return .int32(try integerArithmetic(kind, x, y))
        case let (.uint8(x), .uint8(y)): return .uint8(try integerArithmetic(kind, x, y))
        default:
            throw ONNXKernelError("operands must have the same numeric element type, got \(a.dataType.name) and \(b.dataType.name)")
        }
    }

    /// Wrapping integer arithmetic; division truncates toward zero.
    static func integerArithmetic<T: FixedWidthInteger & Sendable>(
        _ kind: Arithmetic, _ x: ONNXArray<T>, _ y: ONNXArray<T>
    ) throws -> ONNXArray<T> {
        let r: (shape: [Int], scalars: [T])
        switch kind {
        case .add: r = try broadcastArrays(x.scalars, x.shape, y.scalars, y.shape, &+)
        case .sub: r = try broadcastArrays(x.scalars, x.shape, y.scalars, y.shape, &-)
        case .mul: r = try broadcastArrays(x.scalars, x.shape, y.scalars, y.shape, &*)
        case .div, .pow:
            if y.scalars.contains(0) { throw ONNXKernelError("integer division by zero") }
            r = try broadcastArrays(x.scalars, x.shape, y.scalars, y.shape) { $0.dividedReportingOverflow(by: $1).partialValue }
        }
        return ONNXArray(shape: r.shape, scalars: r.scalars)
    }

    /// Pow: a FLOAT, DOUBLE or integer base raised to an exponent of any
    /// numeric type; the result has the base's type.
    static func power(_ a: ONNXValue, _ b: ONNXValue) throws -> ONNXValue {
        guard b.dataType != .bool else { throw ONNXKernelError("exponent must be numeric, got BOOL") }
        switch a {
        case let .float(x):
            let e: Tensor<Float>
            if case let .float(t) = b { e = t } else {
                e = try Tensor(shape: Shape(b.shape), scalars: b.doubleScalars.map { Float($0) })
            }
            return .float(try broadcastTensors(x, e) { base, exponent in
                exponent == 2 ? base * base : Foundation.pow(base, exponent)
            })
        case let .double(x):
            let (shape, r) = try broadcastArrays(x.scalars, x.shape, b.doubleScalars, b.shape) { Foundation.pow($0, $1) }
            return .double(ONNXArray(shape: shape, scalars: r))
        case .int64, .int32:
            let (shape, r) = try broadcastArrays(a.doubleScalars, a.shape, b.doubleScalars, b.shape) { Foundation.pow($0, $1) }
            let ints = r.map { $0.isFinite && abs($0) < 9.2e18 ? Int64($0) : Int64.min }
            return a.dataType == .int64
                ? .int64(ONNXArray(shape: shape, scalars: ints))
                : .int32(ONNXArray(shape: shape, scalars: ints.map { Int32(truncatingIfNeeded: $0) }))
        default:
            throw ONNXKernelError("base must be FLOAT, DOUBLE, INT64 or INT32, got \(a.dataType.name)")
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

    static func compare(_ kind: Comparison, _ a: ONNXValue, _ b: ONNXValue) throws -> ONNXValue {
        func run<T: Comparable>(_ x: [T], _ y: [T]) throws -> ONNXValue {
            let op: (T, T) -> Bool
            switch kind {
            case .equal: op = (==)
            case .less: op = (<)
            case .greater: op = (>)
            case .lessOrEqual: op = (<=)
            case .greaterOrEqual: op = (>=)
            }
            let (shape, r) = try broadcastArrays(x, a.shape, y, b.shape, op)
            return .bool(ONNXArray(shape: shape, scalars: r))
        }
        switch (a, b) {
        case let (.float(x), .float(y)): return try run(x.scalars, y.scalars)
        case let (.double(x), .double(y)): return try run(x.scalars, y.scalars)
        case let (.int64(x), .int64(y)): return try run(x.scalars, y.scalars)
        case let (.int32(x), .int32(y)): return try run(x.scalars, y.scalars)
        case let (.uint8(x), .uint8(y)): return try run(x.scalars, y.scalars)
        case let (.bool(x), .bool(y)) where kind == .equal:
            let (shape, r) = try broadcastArrays(x.scalars, x.shape, y.scalars, y.shape, ==)
            return .bool(ONNXArray(shape: shape, scalars: r))
        default:
            throw ONNXKernelError("operands must have the same comparable element type, got \(a.dataType.name) and \(b.dataType.name)")
        }
    }

    /// Where(condition, X, Y): X where the condition holds, else Y, all three broadcast.
    static let whereOp: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 3...3)
        return { inputs in
            guard case let .bool(condition) = try input(inputs, 0, "condition") else {
                throw ONNXKernelError("condition must be BOOL, got \(inputs[0]!.dataType.name)")
            }
            let x = try input(inputs, 1, "X"), y = try input(inputs, 2, "Y")
            guard x.dataType == y.dataType else {
                throw ONNXKernelError("X and Y must have the same element type, got \(x.dataType.name) and \(y.dataType.name)")
            }
            let shape = try broadcastShape([condition.shape, x.shape, y.shape])
            let count = shape.reduce(1, *)
            let sc = broadcastSources(condition.shape, to: shape)
            let sx = broadcastSources(x.shape, to: shape), sy = broadcastSources(y.shape, to: shape)
            // Pick from the concatenation [X, Y]: index i of X or count(X) + j of Y.
            let xCount = x.count
            var sources = [Int](repeating: 0, count: count)
            for i in 0..<count {
                sources[i] = condition.scalars[sc?[i] ?? i] ? (sx?[i] ?? i) : xCount + (sy?[i] ?? i)
            }
            let joined = try ONNXValue.concatenating([x.reshaped([xCount]), y.reshaped([y.count])], axis: 0,
                                                     shape: [xCount + y.count])
            return [joined.gathering(sources, shape: shape)]
        }
    }

    static let notOp: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 1...1)
        return { inputs in
            guard case let .bool(x) = try input(inputs, 0, "X") else {
                throw ONNXKernelError("X must be BOOL, got \(inputs[0]!.dataType.name)")
            }
            return [.bool(ONNXArray(shape: x.shape, scalars: x.scalars.map { !$0 }))]
        }
    }
}
