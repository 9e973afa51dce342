/// A JSON document as ``JSONParser`` reads it or as a response is built.
///
/// Arrays whose elements are all numbers are ``numbers(_:)`` (a compact
/// ``JSONNumbers`` list, converted straight to the element type a tensor
/// needs) because tensor data dominates inference bodies; every other array
/// is ``array(_:)``.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer literal that fits in 64 bits.
    case int(Int64)
    /// Any other number (infinite if the literal overflows a double).
    case double(Double)
    /// A 32-bit float, written with its shortest round-trip digits (responses only).
    case float(Float)
    case string(String)
    /// An array of numbers only.
    case numbers(JSONNumbers)
    /// An array of 32-bit floats, each written with its shortest round-trip
    /// digits (responses only: tensor outputs without a value per element).
    case floats([Float])
    case array([JSONValue])
    case object([String: JSONValue])

    /// A list of numbers from doubles (`.numbers(values)` as it read when
    /// the case held `[Double]`).
    public static func numbers(_ values: [Double]) -> JSONValue { .numbers(JSONNumbers(values)) }

    /// A short name of the value's kind, for error messages.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double, .float: return "a number"
        case .string: return "a string"
        case .numbers, .floats, .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The number this value holds, if it is one.
    public var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .float(f): return Double(f)
        default: return nil
        }
    }

    /// The members of an object, empty for any other value.
    public var objectMembers: [String: JSONValue] {
        if case let .object(members) = self { return members }
        return [:]
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members[key] }
        return nil
    }
}
