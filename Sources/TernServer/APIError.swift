import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernData
import TernFormats
import TernNN
import TernRegistry
import TernServing
import TernSupport

/// An error with an HTTP status, answered as `{"error": "..."}` (the body
/// KServe V2 and TF Serving specify). Messages never carry paths or SQL.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { message }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let body = try JSONSerialization.data(withJSONObject: ["error": message])
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The HTTP form of any error thrown by a route.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as RegistryError:
            switch e {
            case .notFound: return APIError(.notFound, e.description)
            case .alreadyExists, .conflict: return APIError(.conflict, e.description)
            case .invalidName, .invalidInput, .checksumMismatch: return APIError(.badRequest, e.description)
            case .storage: return APIError(.internalServerError, "storage error")
            case .insufficientStorage: return APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), e.description)
            }
        case let e as ServingError:
            switch e {
            case .notFound: return APIError(.notFound, e.description)
            case .conflict: return APIError(.conflict, e.description)
            case .invalid: return APIError(.badRequest, e.description)
            case .unavailable: return APIError(.serviceUnavailable, e.description)
            case .notReady: return APIError(.serviceUnavailable, e.description, headers: [.retryAfter: "1"])
            }
        case let e as BatchingConfigurationError:
            return APIError(.badRequest, "'batching.\(e.field)' \(e.message)")
        case let e as JSONParseError:
            return APIError(.badRequest, e.description)
        case let e as CSVError:
            return APIError(.badRequest, "invalid CSV: \(e.description)")
        case let e as JobError:
            switch e {
            case .invalidField: return APIError(.badRequest, e.description)
            case .notFound: return APIError(.notFound, e.description)
            case .alreadyFinished: return APIError(.conflict, e.description)
            }
        case let e as WorkBudgetError:
            return APIError(.contentTooLarge, e.description)
        case let e as InferenceLimiterError:
            return APIError(.serviceUnavailable, e.description, headers: [.retryAfter: "1"])
        case let e as FormatError:
            return APIError(.badRequest, e.description)
        case let e as ModelInputError:
            return APIError(.badRequest, e.description)
        case let e as NNError:
            return APIError(.badRequest, e.description)
        case let e as HTTPError:
            return APIError(e.status, e.body ?? e.status.reasonPhrase)
        case is DecodingError:
            return APIError(.badRequest, "invalid JSON body: \(describe(error))")
        default:
            return APIError(.internalServerError, "internal error")
        }
    }
}

/// Turns every error a route throws (including Hummingbird's own 404 and
/// 413) into a JSON `{"error": ...}` response with the right status.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes, to tell a wrong method (405) from an unknown path (404).
    var routes: RouteTable? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // Hummingbird's answer when no route matches the path and method.
            let allowed = routes?.methods(for: request.uri.path) ?? []
            if !allowed.isEmpty {
                var response = try APIError(.methodNotAllowed, "\(request.method.rawValue.prefix(16)) is not allowed on \(request.uri.path.prefix(200)) (allowed: \(allowed.joined(separator: ", ")))")
                    .response(from: request, context: context)
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            return try APIError(.notFound, "no route for \(request.method.rawValue.prefix(16)) \(request.uri.path.prefix(200))")
                .response(from: request, context: context)
        } catch {
            let api = APIError.from(error)
            if api.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return try api.response(from: request, context: context)
        }
    }
}

extension Request {
    /// The whole body, refusing more than `limit` bytes with 413.
    public func collectBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "request body is larger than \(limit) bytes")
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "request body is larger than \(limit) bytes")
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as APIError {
            throw error
        } catch {
            // The stream failed: the client went away before sending all of it.
            throw APIError(.badRequest, "the request body ended before its declared length (the client closed the connection)")
        }
    }
}
