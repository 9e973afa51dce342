/// Errors reading specs and model artifacts.
public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSpec(String)
    case invalidArtifact(String)
    case checksumMismatch(what: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .invalidSpec(reason): return "invalid model spec: \(reason)"
        case let .invalidArtifact(reason): return "invalid model artifact: \(reason)"
        case let .checksumMismatch(what, expected, actual):
            return "model artifact is corrupt: \(what) checksum is \(actual.prefix(12))…, expected \(expected.prefix(12))…"
        }
    }
}
