/// Why a document is not acceptable JSON.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case malformed(String)
        case tooDeep(Int)
        /// An object names this key twice.
        case duplicateKey(String)
    }

    /// One step from a document's top level down to a nested value.
    public enum PathComponent: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public var reason: Reason
    /// The byte where the problem was found.
    public var offset: Int
    /// The keys and indexes leading from the top level to the object or
    /// array in which the problem was found (empty at the top level).
    public var path: [PathComponent] = []

    public init(reason: Reason, offset: Int, path: [PathComponent] = []) {
        self.reason = reason
        self.offset = offset
        self.path = path
    }

    /// The problem without its position ("invalid number", "JSON nesting is
    /// deeper than 64 levels").
    public var message: String {
        switch reason {
        case let .malformed(what): return what
        case let .tooDeep(limit): return "JSON nesting is deeper than \(limit) levels"
        case let .duplicateKey(key): return "duplicate key '\(key.prefix(64))'"
        }
    }

    public var description: String {
        switch reason {
        case .malformed, .duplicateKey: return "malformed JSON at byte \(offset): \(message)"
        case .tooDeep: return message
        }
    }

    func inside(_ component: PathComponent) -> JSONParseError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }
}
