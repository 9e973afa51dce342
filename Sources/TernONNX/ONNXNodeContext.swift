import TernFormats
import TernTensor

/// An operator implementation prepared for one node: takes the node's inputs
/// (nil for an omitted optional input) and returns its outputs in order. It
/// may move inputs out of the array to reuse their storage.
typealias ONNXKernel = @Sendable (_ inputs: inout [AnyTensor?]) throws -> [AnyTensor]

/// What an operator sees while it prepares a node: the node, its validated
/// attributes, the opset and the inputs whose values are known before any
/// run (initializers and folded constants), so it can check and precompute.
struct ONNXNodeContext {
    let node: ONNXNode
    let opset: Int
    let constants: [String: AnyTensor]

    var op: String { node.opType }

    /// The attributes, checked against the operator's `allowed` names.
    /// - Throws: ``ONNXRuntimeError/invalidAttribute(op:node:attribute:reason:)``
    ///   naming the first unknown attribute.
    func attributes(allowed: Set<String>) throws -> ONNXAttributes {
        for name in node.attributes.keys.sorted() where !allowed.contains(name) {
            throw ONNXRuntimeError.invalidAttribute(
                op: op, node: node.name, attribute: name, reason: "is not a known attribute of \(op)")
        }
        return ONNXAttributes(node: node)
    }

    /// The number of inputs, ignoring trailing omitted ones.
    var inputCount: Int {
        var n = node.inputs.count
        while n > 0, node.inputs[n - 1].isEmpty { n -= 1 }
        return n
    }

    /// Whether input `i` is given (not omitted).
    func hasInput(_ i: Int) -> Bool { i < node.inputs.count && !node.inputs[i].isEmpty }

    /// Checks the input and output counts; `required` inputs must be present.
    func expect(inputs range: ClosedRange<Int>, required: Int? = nil, outputs: ClosedRange<Int> = 1...1) throws {
        guard range.contains(inputCount) else {
            throw invalid("expects \(describe(range)) input(s), got \(inputCount)")
        }
        for i in 0..<(required ?? range.lowerBound) where !hasInput(i) {
            throw invalid("input \(i) is required")
        }
        var outputCount = node.outputs.count
        while outputCount > 0, node.outputs[outputCount - 1].isEmpty { outputCount -= 1 }
        guard outputs.contains(outputCount), outputCount >= 1, !node.outputs[0].isEmpty else {
            throw invalid("expects \(describe(outputs)) output(s), got \(node.outputs.count)")
        }
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
    }

    /// The value of input `i` when it is an initializer or folded constant.
    func constant(_ i: Int) -> AnyTensor? {
        hasInput(i) ? constants[node.inputs[i]] : nil
    }

    /// This context with the node's FLOAT16 constant inputs widened to
    /// FLOAT, for operators that compute FLOAT16 in FLOAT
    /// (``ONNXOps/promotingFloat16(_:)``).
    func widenedFloat16() -> ONNXNodeContext {
        var widened = constants
        for name in node.inputs where !name.isEmpty {
            if case let .float16(t)? = constants[name] { widened[name] = .float32(t.map { Float($0) }) }
        }
        return ONNXNodeContext(node: node, opset: opset, constants: widened)
    }

    /// An ``ONNXRuntimeError/invalidNode(op:node:reason:)`` for this node.
    func invalid(_ reason: String) -> ONNXRuntimeError {
        .invalidNode(op: op, node: node.name, reason: reason)
    }
}

/// Typed access to a node's attributes, with errors that name the operator,
/// node and attribute.
struct ONNXAttributes {
    let node: ONNXNode

    func error(_ name: String, _ reason: String) -> ONNXRuntimeError {
        .invalidAttribute(op: node.opType, node: node.name, attribute: name, reason: reason)
    }

    func has(_ name: String) -> Bool { node.attributes[name] != nil }

    private func kind(_ a: ONNXAttribute) -> String {
        switch a {
        case .float: return "a float"
        case .int: return "an int"
        case .string: return "a string"
        case .tensor: return "a tensor"
        case .floats: return "a list of floats"
        case .ints: return "a list of ints"
        case .strings: return "a list of strings"
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let a = node.attributes[name] else { return nil }
        guard case let .int(v) = a else { throw error(name, "must be an int, got \(kind(a))") }
        guard let i = Int(exactly: v) else { throw error(name, "value \(v) is out of range") }
        return i
    }

    func int(_ name: String, default value: Int) throws -> Int { try int(name) ?? value }

    /// An int attribute that must be 0 or 1.
    func flag(_ name: String, default value: Bool = false) throws -> Bool {
        guard let v = try int(name) else { return value }
        guard v == 0 || v == 1 else { throw error(name, "must be 0 or 1, got \(v)") }
        return v == 1
    }

    func float(_ name: String) throws -> Float? {
        guard let a = node.attributes[name] else { return nil }
        switch a {
        case let .float(v): return v
        case let .int(v): return Float(v)
        default: throw error(name, "must be a float, got \(kind(a))")
        }
    }

    func float(_ name: String, default value: Float) throws -> Float { try float(name) ?? value }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = node.attributes[name] else { return nil }
        guard case let .ints(v) = a else { throw error(name, "must be a list of ints, got \(kind(a))") }
        return try v.map {
            guard let i = Int(exactly: $0) else { throw error(name, "value \($0) is out of range") }
            return i
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        guard let a = node.attributes[name] else { return nil }
        guard case let .floats(v) = a else { throw error(name, "must be a list of floats, got \(kind(a))") }
        return v
    }

    func string(_ name: String) throws -> String? {
        guard let a = node.attributes[name] else { return nil }
        guard case let .string(v) = a else { throw error(name, "must be a string, got \(kind(a))") }
        return v
    }

    /// A string attribute restricted to `choices`.
    func choice(_ name: String, default value: String, _ choices: [String]) throws -> String {
        let v = try string(name) ?? value
        guard choices.contains(v) else {
            throw error(name, "value '\(v)' is not supported (expected one of \(choices.joined(separator: ", ")))")
        }
        return v
    }

    func tensor(_ name: String) throws -> ONNXTensorData? {
        guard let a = node.attributes[name] else { return nil }
        guard case let .tensor(v) = a else { throw error(name, "must be a tensor, got \(kind(a))") }
        return v
    }
}

/// Normalises a possibly negative axis for a tensor of `rank` (valid range
/// `-rank..<rank`, or `-rank...rank` with `inclusive`), or throws.
func normalizedAxis(_ axis: Int, rank: Int, inclusive: Bool = false, what: String = "axis") throws -> Int {
    let upper = inclusive ? rank : rank - 1
    guard axis >= -rank, axis <= upper else {
        throw ONNXKernelError("\(what) \(axis) is out of range for rank \(rank)")
    }
    return axis < 0 ? axis + rank : axis
}

/// Reads input `i`, which the executor guarantees is present when the node
/// was prepared with it as required.
func input(_ inputs: [AnyTensor?], _ i: Int, _ what: String) throws -> AnyTensor {
    guard i < inputs.count, let v = inputs[i] else { throw ONNXKernelError("\(what) (input \(i)) is missing") }
    return v
}
