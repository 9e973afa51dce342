import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `--server` and `--api-key`, defaulting to `$TERN_SERVER` (else
/// http://127.0.0.1:8080) and `$TERN_API_KEY`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (default: $TERN_SERVER or http://127.0.0.1:8080).")
    var server: String?
    @Option(name: .customLong("api-key"), help: "API key (default: $TERN_API_KEY).")
    var apiKey: String?

    func client() throws -> APIClient {
        let text = server ?? ProcessInfo.processInfo.environment["TERN_SERVER"] ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIError("--server must be an http(s) URL, got '\(text)'")
        }
        return APIClient(base: text.hasSuffix("/") ? String(text.dropLast()) : text,
                         key: apiKey ?? ProcessInfo.processInfo.environment["TERN_API_KEY"])
    }
}

/// A small JSON client for the Tern REST API.
struct APIClient {
    let base: String
    let key: String?

    struct Reply {
        let status: Int
        let body: [UInt8]
        var json: [String: Any] {
            get throws {
                guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                    throw CLIError("the server answered with something that is not a JSON object")
                }
                return object
            }
        }
    }

    func request(_ method: HTTPMethod, _ path: String, json: Any? = nil, body: [UInt8]? = nil,
                 contentType: String? = nil, timeout: TimeAmount = .minutes(10)) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw CLIError("cannot reach the server at \(base): \(error)")
        }
        let buffer = try await response.body.collect(upTo: 1 << 30)
        let reply = Reply(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        guard (200..<300).contains(reply.status) else {
            let message = (try? reply.json["error"] as? String) ?? nil
            throw CLIError("server: \(message ?? "HTTP \(reply.status)") (HTTP \(reply.status))")
        }
        return reply
    }

    /// Streams Server-Sent Events from `path`, calling `handle` with each
    /// event name and data until the stream ends or `handle` returns false.
    func events(_ path: String, handle: (String, [String: Any]) throws -> Bool) async throws {
        var request = HTTPClientRequest(url: base + path)
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(24))
        guard response.status == .ok else {
            let buffer = try await response.body.collect(upTo: 1 << 20)
            let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
            throw CLIError("server: \(object?["error"] as? String ?? "HTTP \(response.status.code)")")
        }
        var pending = [UInt8]()
        var event = "message", data = ""
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line.isEmpty {
                    if !data.isEmpty {
                        let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]) ?? [:]
                        if try !handle(event, object) { return }
                    }
                    event = "message"; data = ""
                } else if line.hasPrefix("event:") {
                    event = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
                } else if line.hasPrefix("data:") {
                    data += line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                }
            }
        }
    }
}

/// A multipart/form-data body with one file part per entry.
func multipart(_ parts: [(name: String, filename: String, bytes: [UInt8])]) -> (body: [UInt8], contentType: String) {
    let boundary = "tern-\(UInt64.random(in: 0...UInt64.max))"
    var body = [UInt8]()
    for part in parts {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"; filename=\"\(part.filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += part.bytes
        body += Array("\r\n".utf8)
    }
    body += Array("--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("cannot read '\(URL(fileURLWithPath: path).lastPathComponent)'")
    }
    return [UInt8](data)
}

func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
