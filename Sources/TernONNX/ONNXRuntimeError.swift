/// Errors raised by ``ONNXExecutor``: while preparing a graph (unsupported
/// opset, operator or attribute, cycles, dangling names) and while running it
/// (missing or mismatched inputs, failures inside a node). Every message
/// names the node, operator and attribute or value concerned.
public enum ONNXRuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The default-domain opset is outside the supported range.
    case unsupportedOpset(Int, supported: ClosedRange<Int>)
    /// The node's operator (or domain) is not implemented.
    case unsupportedOperator(op: String, node: String)
    /// An attribute is unknown for the operator, has the wrong type, or has a
    /// value the executor does not support.
    case invalidAttribute(op: String, node: String, attribute: String, reason: String)
    /// A node is malformed (wrong number of inputs or outputs, a constant
    /// operand of the wrong shape, ...).
    case invalidNode(op: String, node: String, reason: String)
    /// The graph's nodes form a cycle through this node.
    case cycle(node: String)
    /// A node reads a value that no node, initializer or graph input defines.
    case undefinedValue(name: String, node: String)
    /// Two nodes (or a node and an input or initializer) define the same value.
    case duplicateDefinition(name: String)
    /// A graph output is never defined.
    case undefinedOutput(name: String)
    /// `run` was not given a declared graph input.
    case missingInput(name: String)
    /// `run` was given a value that is not a graph input.
    case unknownInput(name: String)
    /// A fed input disagrees with its declared type or shape.
    case inputMismatch(name: String, reason: String)
    /// A node failed while running (bad operand types or shapes, index out
    /// of range, integer division by zero, ...).
    case executionFailed(op: String, node: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedOpset(version, supported):
            return "unsupported ONNX opset \(version) (supported: \(supported.lowerBound)...\(supported.upperBound))"
        case let .unsupportedOperator(op, node):
            return "unsupported operator '\(op)' in node '\(node)'"
        case let .invalidAttribute(op, node, attribute, reason):
            return "\(op) node '\(node)': attribute '\(attribute)' \(reason)"
        case let .invalidNode(op, node, reason):
            return "\(op) node '\(node)': \(reason)"
        case let .cycle(node):
            return "graph has a cycle through node '\(node)'"
        case let .undefinedValue(name, node):
            return "node '\(node)' reads '\(name)', which no node, initializer or graph input defines"
        case let .duplicateDefinition(name):
            return "value '\(name)' is defined more than once"
        case let .undefinedOutput(name):
            return "graph output '\(name)' is never defined"
        case let .missingInput(name):
            return "missing graph input '\(name)'"
        case let .unknownInput(name):
            return "'\(name)' is not an input of the graph"
        case let .inputMismatch(name, reason):
            return "graph input '\(name)': \(reason)"
        case let .executionFailed(op, node, reason):
            return "\(op) node '\(node)' failed: \(reason)"
        }
    }
}

/// A failure inside an operator kernel, before the executor adds the node's
/// name and operator (becoming ``ONNXRuntimeError/executionFailed(op:node:reason:)``).
struct ONNXKernelError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
