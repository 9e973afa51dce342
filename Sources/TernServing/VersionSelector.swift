import TernRegistry

/// How a request names the version it wants.
public enum VersionSelector: Equatable, Sendable, CustomStringConvertible {
    /// No version named: the ``defaultAlias`` if the model has it, else the
    /// highest loaded version.
    case unspecified
    case number(Int)
    case alias(String)

    /// The alias used when a request names no version.
    public static let defaultAlias = "production"

    /// Reads a path segment: all digits → a version number, anything else → an alias name.
    /// - Throws: ``ServingError/invalid(_:)`` for a number that does not fit,
    ///   ``RegistryError/invalidName(_:)`` for an invalid alias name.
    public init(segment: String) throws {
        if !segment.isEmpty, segment.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let number = Int(segment), number <= Int(Int32.max) else {
                throw ServingError.invalid("version '\(segment.prefix(32))' is out of range")
            }
            self = .number(number)
        } else {
            try Names.validate(segment, kind: "alias")
            self = .alias(segment)
        }
    }

    public var description: String {
        switch self {
        case .unspecified: return "latest"
        case let .number(n): return "version \(n)"
        case let .alias(a): return "alias '\(a)'"
        }
    }
}
