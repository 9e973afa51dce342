import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A JSON document built in code: how the registry and job routes shape
/// their responses (snake_case keys, ISO-8601 dates, explicit `null`s) and
/// how a stored JSON text (a model spec, a dataset schema) is embedded as an
/// object. Decoding keeps integers and booleans exactly (a `seed` above
/// `Int.max` stays an unsigned integer), so a spec sent as an object can be
/// re-encoded as text.
enum RegistryJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case array([RegistryJSON])
    case object([String: RegistryJSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let u = try? c.decode(UInt64.self) {
            self = .unsigned(u)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([RegistryJSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: RegistryJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .int(i): try c.encode(i)
        case let .unsigned(u): try c.encode(u)
        // JSON has no NaN or infinity: a non-finite metric reads as null.
        case let .double(d): if d.isFinite { try c.encode(d) } else { try c.encodeNil() }
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    /// An optional string, `null` when absent.
    init(_ value: String?) { self = value.map { .string($0) } ?? .null }
    /// An optional integer, `null` when absent.
    init(_ value: Int?) { self = value.map { .int($0) } ?? .null }
    /// An optional date as ISO-8601 text, `null` when absent.
    init(_ date: Date?) { self = date.map { .string($0.formatted(.iso8601)) } ?? .null }
    /// A string-to-string map.
    init(_ map: [String: String]) { self = .object(map.mapValues { .string($0) }) }
    /// A string-to-number map (metrics).
    init(_ map: [String: Double]) { self = .object(map.mapValues { .double($0) }) }

    /// Parses stored JSON text; text that does not parse is kept as a string
    /// rather than failing the whole response.
    init(parsing text: String) {
        self = (try? JSONDecoder().decode(RegistryJSON.self, from: Data(text.utf8))) ?? .string(text)
    }

    /// The JSON text, with sorted keys.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

extension RegistryJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(arrayLiteral elements: RegistryJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, RegistryJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(nilLiteral: ()) { self = .null }
}

/// A JSON response (`application/json`) with `status`.
func registryResponse(_ value: RegistryJSON, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try value.encoded())))
}
