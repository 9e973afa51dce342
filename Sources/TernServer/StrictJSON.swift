import Foundation
import HTTPTypes
import Hummingbird
import TernFormats
import TernSupport


/// A request body object read strictly: fields outside `allowed` are
/// refused (400 naming the field), and a field of the wrong type is a
/// decoding error that names it.
struct StrictObject {
    let container: KeyedDecodingContainer<JSONKey>

    init(_ decoder: any Decoder, allowed: [String]) throws {
        container = try decoder.container(keyedBy: JSONKey.self)
        let known = Set(allowed)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw APIError(.badRequest, "unknown field '\(unknown)' (allowed: \(allowed.joined(separator: ", ")))")
        }
    }

    /// A field that must be present (and not null).
    func required<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        try naming(key, T.self) { try container.decode(T.self, forKey: JSONKey(key)) }
    }

    /// A field that may be absent or null.
    func optional<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        try naming(key, T.self) { try container.decodeIfPresent(T.self, forKey: JSONKey(key)) }
    }

    /// Names the field when the decoder reports a value it cannot represent
    /// (`1.5` or `1e40` for an integer) with an error of its own that has no
    /// coding path.
    private func naming<T, R>(_ key: String, _ type: T.Type, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as DecodingError {
            throw error
        } catch let error as APIError {
            throw error
        } catch {
            let expected = T.self == Int.self ? "should be an integer" : "has an invalid value"
            throw APIError(.badRequest, "invalid JSON body: '\(key)' \(expected)")
        }
    }
}

extension Request {
    /// Decodes a JSON object body as `T`, refusing other content types
    /// (415), bodies past the JSON limit (413) and anything that does not
    /// decode (400 naming the field).
    func decodeJSONBody<T: Decodable>(_ type: T.Type, configuration: ServerConfiguration) async throws -> T {
        try requireJSONContentType()
        let buffer = try await collectBody(limit: configuration.managementJSONLimit)
        guard buffer.readableBytes > 0 else { throw APIError(.badRequest, "the request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError(.badRequest, "invalid JSON body: \(describeBodyError(error))")
        }
    }
}

extension Request {
    /// Refuses (415) a body declared as anything but `application/json`; a
    /// body without a content type is read as JSON.
    /// JSON is the only body these routes take, so a body sent with no
    /// type, or with the form type `curl -d` adds by default, is read as
    /// JSON; any other declared type is a 415.
    func requireJSONContentType(alsoAccepting extra: [String] = []) throws {
        // The common case without splitting or lowercasing (inference runs this per request).
        guard let contentType = headers[.contentType], contentType != "application/json" else { return }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" || mediaType == "application/x-www-form-urlencoded" || extra.contains(mediaType) else {
            throw APIError(.unsupportedMediaType, "the request body must be application/json")
        }
    }
}

extension ServerConfiguration {
    /// The largest JSON body a management route reads (413 past it).
    var managementJSONLimit: Int { min(maxBodyBytes, maxJSONBodyBytes) }
}

/// Names the field a decoding error is about; errors at the top level mean
/// the body was not an object at all.
func describeBodyError(_ error: DecodingError) -> String {
    switch error {
    case let .typeMismatch(_, context) where context.codingPath.isEmpty:
        return "the body must be a JSON object"
    case let .dataCorrupted(context) where context.codingPath.isEmpty:
        return "not valid JSON"
    default:
        return describe(error)
    }
}
