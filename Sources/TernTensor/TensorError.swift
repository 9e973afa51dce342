/// Errors raised by tensor operations. They name the operation and the shapes
/// involved so a caller can report them without inspecting tensors.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    case shapeMismatch(op: String, expected: Shape, actual: Shape)
    case invalidShape([Int], reason: String)
    case countMismatch(op: String, expected: Int, actual: Int)
    case invalidArgument(op: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, actual):
            return "\(op): expected shape \(expected), got \(actual)"
        case let .invalidShape(dims, reason):
            return "invalid shape \(Shape(dims)): \(reason)"
        case let .countMismatch(op, expected, actual):
            return "\(op): expected \(expected) elements, got \(actual)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        }
    }
}
