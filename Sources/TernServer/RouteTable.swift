import HTTPTypes
import Hummingbird

/// The router's paths and methods, read once the routes are added, so a
/// request whose path exists under other methods is answered 405 with an
/// `Allow` header (RFC 9110, 15.5.6) rather than 404.
final class RouteTable: @unchecked Sendable {
    // Written once by `buildRouter` before the server starts, only read after.
    private var routes: [(path: RouterPath, method: HTTPRequest.Method)] = []

    func record<Context>(_ router: Router<Context>) {
        routes = router.routes.map { ($0.path, $0.method) }
    }

    /// The methods that have a route for `path`, sorted; empty when none does.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var found = Set<String>()
        for route in routes where Self.matches(route.path.components, segments) {
            found.insert(route.method.rawValue)
        }
        return found.sorted()
    }

    private static func matches(_ pattern: [RouterPath.Element], _ segments: [Substring]) -> Bool {
        var i = 0
        for (n, element) in pattern.enumerated() {
            if element == .recursiveWildcard { return true }
            guard i < segments.count, element ~= segments[i] else { return false }
            i += 1
            if n == pattern.count - 1 { return i == segments.count }
        }
        return pattern.isEmpty && segments.isEmpty
    }
}

/// Refuses a body whose declared `Content-Length` is above the server's
/// limit before reading any of it: 413 with `Connection: close`; the
/// ``EarlyResponseHandler`` closes the connection once the answer is out,
/// so the unread body is never read.
struct DeclaredLengthMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let text = request.headers[.contentLength], let declared = Int(text), declared > limit {
            var response = try APIError(.contentTooLarge, "request body of \(declared) bytes is larger than \(limit) bytes")
                .response(from: request, context: context)
            response.headers[.connection] = "close"
            return response
        }
        return try await next(request, context)
    }
}
