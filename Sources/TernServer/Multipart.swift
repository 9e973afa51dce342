import Foundation

/// One part of a `multipart/form-data` body.
struct MultipartPart: Sendable {
    /// The form field name from `Content-Disposition`.
    let name: String
    let filename: String?
    /// The part's bytes, without the delimiting line breaks.
    let body: ArraySlice<UInt8>
}

/// A minimal, strict `multipart/form-data` reader (RFC 7578): the boundary
/// comes from the `Content-Type` header, every part needs a
/// `Content-Disposition: form-data; name="..."` header, and anything
/// malformed (missing delimiters, oversized or broken headers, no closing
/// delimiter) is refused with 400.
enum Multipart {
    /// The most parts a body may hold.
    static let maxParts = 8
    /// The most header bytes a part may have.
    static let maxHeaderBytes = 8 * 1024

    /// Whether `contentType` is `multipart/form-data`.
    static func isFormData(_ contentType: String?) -> Bool {
        mediaType(contentType) == "multipart/form-data"
    }

    /// The lowercased media type without parameters.
    static func mediaType(_ contentType: String?) -> String? {
        contentType?.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// The `boundary` parameter of a `multipart/form-data` content type.
    /// - Throws: 400 when it is missing or not a valid RFC 2046 boundary.
    static func boundary(contentType: String) throws -> String {
        let params = parameters(contentType.split(separator: ";", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
        guard let boundary = params["boundary"] else {
            throw APIError(.badRequest, "multipart/form-data needs a boundary parameter in Content-Type")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=? ".utf8)
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.allSatisfy(allowed.contains), boundary.last != " " else {
            throw APIError(.badRequest, "the multipart boundary must be 1-70 characters of letters, digits or '()+_,-./:=?")
        }
        return boundary
    }

    /// Splits `body` into its parts.
    /// - Throws: 400 naming what is malformed.
    static func parse(_ body: [UInt8], boundary: String) throws -> [MultipartPart] {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = [0x0D, 0x0A] + dashBoundary
        // The first delimiter opens the body (any preamble before it ends with CRLF).
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw malformed("no opening boundary")
        }
        var parts: [MultipartPart] = []
        while true {
            if body[position...].starts(with: [0x2D, 0x2D]) { break }  // "--": the closing delimiter
            position = try skipLineEnd(body, from: position)
            guard parts.count < maxParts else { throw malformed("more than \(maxParts) parts") }
            guard let headerEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: position),
                  headerEnd - position <= maxHeaderBytes else {
                throw malformed("a part's headers are missing, unterminated or too long")
            }
            let (name, filename) = try disposition(headers: body[position..<headerEnd])
            let start = headerEnd + 4
            guard let end = find(delimiter, in: body, from: start) else { throw malformed("no closing boundary") }
            parts.append(MultipartPart(name: name, filename: filename, body: body[start..<end]))
            position = end + delimiter.count
        }
        guard !parts.isEmpty else { throw malformed("no parts") }
        return parts
    }

    /// The parts keyed by name, requiring exactly the names in `expected`.
    static func parts(_ parts: [MultipartPart], named expected: [String], optional: [String] = []) throws -> [String: MultipartPart] {
        var byName: [String: MultipartPart] = [:]
        for part in parts {
            guard expected.contains(part.name) || optional.contains(part.name) else {
                throw APIError(.badRequest, "unexpected multipart part '\(part.name)' (expected: \((expected + optional).joined(separator: ", ")))")
            }
            guard byName[part.name] == nil else { throw APIError(.badRequest, "multipart part '\(part.name)' appears twice") }
            byName[part.name] = part
        }
        if let missing = expected.first(where: { byName[$0] == nil }) {
            throw APIError(.badRequest, "missing multipart part '\(missing)'")
        }
        return byName
    }

    private static func malformed(_ reason: String) -> APIError {
        APIError(.badRequest, "malformed multipart body: \(reason)")
    }

    /// Skips optional transport padding (spaces, tabs) and the CRLF after a delimiter.
    private static func skipLineEnd(_ body: [UInt8], from start: Int) throws -> Int {
        var i = start
        while i < body.count, body[i] == 0x20 || body[i] == 0x09 { i += 1 }
        guard i + 1 < body.count, body[i] == 0x0D, body[i + 1] == 0x0A else { throw malformed("a boundary line is not followed by CRLF") }
        return i + 2
    }

    /// The `name` and `filename` of a part's `Content-Disposition` header.
    private static func disposition(headers: ArraySlice<UInt8>) throws -> (String, String?) {
        guard let text = String(validating: headers, as: UTF8.self) else { throw malformed("part headers are not UTF-8") }
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else { throw malformed("a part header line has no ':'") }
            guard line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else { continue }
            let value = line[line.index(after: colon)...]
            let kind = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard kind == "form-data" else { throw malformed("a part's Content-Disposition is not form-data") }
            let params = parameters(value.split(separator: ";", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
            guard let name = params["name"], !name.isEmpty else { throw malformed("a part has no name") }
            return (name, params["filename"])
        }
        throw malformed("a part has no Content-Disposition header")
    }

    /// `key=value; key="quoted value"` parameters, keys lowercased.
    static func parameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var chars = Substring(text)
        while !chars.isEmpty {
            chars = chars.drop(while: { $0 == " " || $0 == "\t" || $0 == ";" })
            guard let eq = chars.firstIndex(of: "=") else { break }
            let key = chars[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            chars = chars[chars.index(after: eq)...]
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    chars = chars.dropFirst()
                    if c == "\\", let escaped = chars.first { value.append(escaped); chars = chars.dropFirst() } else { value.append(c) }
                }
                chars = chars.dropFirst()
                chars = chars.drop(while: { $0 != ";" })
            } else {
                let end = chars.firstIndex(of: ";") ?? chars.endIndex
                value = chars[..<end].trimmingCharacters(in: .whitespaces)
                chars = chars[end...]
            }
            if result[key] == nil { result[key] = value }
        }
        return result
    }

    /// The index where `pattern` first occurs in `bytes` at or after `start`.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = pattern.first, bytes.count - start >= pattern.count else { return nil }
        return bytes.withUnsafeBufferPointer { b in
            pattern.withUnsafeBufferPointer { p in
                guard let base = b.baseAddress, let needle = p.baseAddress else { return nil }
                var i = start
                let last = b.count - p.count
                while i <= last {
                    if b[i] == first, memcmp(base + i, needle, p.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }
}
