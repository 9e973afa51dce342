import Foundation
import Hummingbird
import NIOCore

/// The OpenAPI 3 description of the /api/v1 management routes
/// (Resources/openapi.json), served at `/openapi.json`.
func addOpenAPIRoute(to router: Router<TernRequestContext>) {
    let document = Bundle.module.url(forResource: "openapi", withExtension: "json")
        .flatMap { try? Data(contentsOf: $0) } ?? Data(#"{"error": "openapi document missing"}"#.utf8)
    router.get("/openapi.json") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }
}
