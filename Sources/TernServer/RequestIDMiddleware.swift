import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id: the caller's `X-Request-ID` when it is a
/// sane token (1-128 letters, digits, `-`, `_`, `.`), otherwise the one
/// ``TernRequestContext`` generated. The id goes into the logger metadata
/// as `request_id` (so every log line of the request carries it) and back
/// to the caller in the response's `X-Request-ID` header, error responses
/// included.
///
/// This is the outermost middleware: the metrics, error and auth
/// middlewares all run inside it and log with the id.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    static let header = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let incoming = request.headers[RequestIDMiddleware.header], RequestIDMiddleware.isValid(incoming) {
            context.requestID = incoming
        }
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // The error middleware normally answers first; this keeps the
            // header on anything that escapes it.
            response = try APIError.from(error).response(from: request, context: context)
        }
        response.headers[RequestIDMiddleware.header] = context.requestID
        // No answer is sniffed as another type or kept by a cache (keys are
        // shown once, predictions are per request).
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// Whether a caller-supplied id may be echoed and logged as is.
    static func isValid(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E
        }
    }
}
