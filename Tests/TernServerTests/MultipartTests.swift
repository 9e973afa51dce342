import Foundation
import Testing
@testable import TernServer

/// The minimal multipart/form-data reader behind artifact and dataset uploads.
@Suite struct MultipartTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func boundaryFromContentType() throws {
        #expect(try Multipart.boundary(contentType: "multipart/form-data; boundary=abc123") == "abc123")
        #expect(try Multipart.boundary(contentType: "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\"") == "a b:c")
        for bad in ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"x\u{0}\"",
                    "multipart/form-data; boundary=" + String(repeating: "x", count: 71), "multipart/form-data; boundary=\"ends \""] {
            #expect(throws: APIError.self, "\(bad)") { try Multipart.boundary(contentType: bad) }
        }
    }

    @Test func partsWithPreamblePaddingAndBinaryBodies() throws {
        let payload: [UInt8] = [0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF]  // CRLF-- inside a body is fine without the boundary
        let body = bytes("preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name=\"a\"; filename=\"a;b.bin\"\r\nContent-Type: x\r\n\r\n")
            + payload + bytes("\r\n--XyZ\r\ncontent-disposition: form-data; name=b\r\n\r\n\r\n--XyZ--\r\nepilogue")
        let parts = try Multipart.parse(body, boundary: "XyZ")
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts[0].filename == "a;b.bin")
        #expect(Array(parts[0].body) == payload)
        #expect(parts[1].body.isEmpty)
    }

    @Test(arguments: [
        "no boundary at all",
        "--B--\r\n",
        "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nbody",
        "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nbody without blank line",
        "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
        "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--",
        "--B\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--B--",
        "--B\r\nbroken header\r\n\r\nx\r\n--B--",
        "--Bjunk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--",
    ])
    func malformedBodiesAreRefused(text: String) {
        #expect(throws: APIError.self) { try Multipart.parse(Array(text.utf8), boundary: "B") }
    }

    @Test func tooManyPartsAreRefused() {
        var text = ""
        for i in 0...Multipart.maxParts { text += "--B\r\nContent-Disposition: form-data; name=\"p\(i)\"\r\n\r\nx\r\n" }
        text += "--B--"
        #expect(throws: APIError.self) { try Multipart.parse(Array(text.utf8), boundary: "B") }
    }
}
