import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TernTesting
import TernData
import TernRegistry
import TernTensor
@testable import TernServer

/// Dataset uploads (IDX and CSV) of the registry API.
@Suite struct RegistryDatasetsTests {
    static let images = "t10k-images-idx3-ubyte.gz"
    static let labels = "t10k-labels-idx1-ubyte.gz"
    static var haveMNIST: Bool { FileManager.default.fileExists(atPath: mnistDirectory.appendingPathComponent(images).path) }

    func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test(.enabled(if: haveMNIST)) func uploadMNISTIDX() async throws {
        let images = try Fixtures.mnistFile(Self.images), labels = try Fixtures.mnistFile(Self.labels)
        try await RegistryHarness.run { client, h async throws in
            let form = multipart([("images", images), ("labels", labels)])
            let created = try await call(client, .post, "/api/v1/datasets?name=mnist&kind=idx", key: h.deploy,
                                         body: form.body, contentType: form.contentType)
            #expect(created.status == .created, "\(created.error)")
            let json = created.json
            #expect(json["name"] as? String == "mnist" && json["version"] as? Int == 1 && json["kind"] as? String == "idx")
            #expect(json["rows"] as? Int == 10_000)
            let schema = try #require(json["schema"] as? [String: Any])
            #expect(schema["images"] as? [Int] == [28, 28] && schema["dtype"] as? String == "uint8")
            let files = try #require(json["files"] as? [String: String])
            #expect(files == ["images": hex(images), "labels": hex(labels)])
            #expect(json["sha256"] as? String == hex(Array((hex(images) + hex(labels)).utf8)))
            #expect(h.blobs() == [hex(images), hex(labels)])

            let second = try await call(client, .post, "/api/v1/datasets?name=mnist&kind=idx", key: h.deploy,
                                        body: form.body, contentType: form.contentType)
            #expect(second.json["version"] as? Int == 2)
            let list = try await call(client, .get, "/api/v1/datasets", key: h.read)
            #expect((list.json["datasets"] as? [[String: Any]])?.count == 2)
            #expect(try await call(client, .get, "/api/v1/datasets/mnist", key: h.read).json["version"] as? Int == 2)
            #expect(try await call(client, .get, "/api/v1/datasets/mnist?version=1", key: h.read).json["version"] as? Int == 1)
            #expect(try await call(client, .get, "/api/v1/datasets/mnist?version=9", key: h.read).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/datasets/mnist?version=x", key: h.read).status == .badRequest)
            #expect(try await call(client, .get, "/api/v1/datasets/mnist?v=1", key: h.read).status == .badRequest)

            #expect(try await call(client, .delete, "/api/v1/datasets/mnist/versions/1", key: h.deploy).status == .noContent)
            #expect(h.blobs().count == 2, "version 2 still uses the files")
            #expect(try await call(client, .delete, "/api/v1/datasets/mnist/versions/2", key: h.read).status == .forbidden)
            #expect(try await call(client, .delete, "/api/v1/datasets/mnist/versions/2", key: h.deploy).status == .noContent)
            #expect(h.blobs().isEmpty)
            #expect(try await call(client, .delete, "/api/v1/datasets/mnist/versions/2", key: h.deploy).status == .notFound)
        }
    }

    /// An IDX dataset may carry a test part (as MNIST ships): both files or
    /// neither, with the training images' size; jobs select it as `test`.
    @Test func idxWithATestPart() async throws {
        let images = try idx([6, 4, 4]), labels = try idx([6], fill: 3)
        let testImages = try idx([2, 4, 4]), testLabels = try idx([2], fill: 2)
        try await RegistryHarness.run { client, h async throws in
            let form = multipart([("images", images), ("labels", labels), ("test_images", testImages), ("test_labels", testLabels)])
            let created = try await call(client, .post, "/api/v1/datasets?name=digits&kind=idx", key: h.deploy,
                                         body: form.body, contentType: form.contentType)
            #expect(created.status == .created, "\(created.error)")
            #expect(created.json["rows"] as? Int == 6)
            #expect((created.json["schema"] as? [String: Any])?["test_rows"] as? Int == 2)
            #expect((created.json["files"] as? [String: String])?.keys.sorted() == ["images", "labels", "test_images", "test_labels"])
            let before = try await h.snapshot()
            let bad: [([(String, [UInt8])], String)] = [
                ([("images", images), ("labels", labels), ("test_images", testImages)], "both 'test_images' and 'test_labels'"),
                ([("images", images), ("labels", labels), ("test_images", try idx([2, 5, 5])), ("test_labels", testLabels)], "training images' size"),
                ([("images", images), ("labels", labels), ("test_images", testImages), ("test_labels", try idx([3]))], "test_images hold 2 samples"),
                ([("images", images), ("labels", labels), ("test_images", [1, 2, 3]), ("test_labels", testLabels)], "test_images:"),
            ]
            for (parts, message) in bad {
                let form = multipart(parts)
                let reply = try await call(client, .post, "/api/v1/datasets?name=digits&kind=idx", key: h.deploy,
                                           body: form.body, contentType: form.contentType)
                #expect(reply.status == .badRequest && reply.error.contains(message), "\(reply.error)")
            }
            #expect(try await h.snapshot() == before)
        }
    }

    /// Small raw (uncompressed) IDX files built in the test.
    func idx(_ dims: [Int], fill: UInt8 = 1) throws -> [UInt8] {
        try IDX.encode(Tensor<UInt8>(shape: Shape(dims), scalars: Array(repeating: fill, count: dims.reduce(1, *))))
    }

    /// A gzip file that inflates far past its size (a decompression bomb:
    /// 40 MB of zeros in ~40 KB) is refused before it is all inflated.
    @Test func decompressionBombsAreRefused() async throws {
        let bomb = try Gzip.compress(try idx([10_000, 64, 64], fill: 0), level: 9)
        #expect(bomb.count < 200_000)
        #expect(RegistryRoutes.inflationLimit(compressedBytes: bomb.count) == 16 << 20)
        #expect(RegistryRoutes.inflationLimit(compressedBytes: 1 << 20) == 100 << 20)
        #expect(RegistryRoutes.inflationLimit(compressedBytes: 1 << 30) == IDX.defaultMaxBytes)
        try await RegistryHarness.run { client, h async throws in
            let form = multipart([("images", bomb), ("labels", try Gzip.compress(try idx([10_000])))])
            let reply = try await call(client, .post, "/api/v1/datasets?name=bomb&kind=idx", key: h.deploy,
                                       body: form.body, contentType: form.contentType)
            #expect(reply.status == .badRequest, "\(reply.error)")
            #expect(reply.error.contains("images") && reply.error.contains("exceeds the limit"), "\(reply.error)")
            #expect(h.blobs().isEmpty)
        }
    }

    @Test func uploadSmallRawIDX() async throws {
        let images = try idx([3, 4, 5]), labels = try idx([3])
        try await RegistryHarness.run { client, h async throws in
            let form = multipart([("labels", labels), ("images", images)])
            let created = try await call(client, .post, "/api/v1/datasets?name=tiny&kind=idx", key: h.deploy,
                                         body: form.body, contentType: form.contentType)
            #expect(created.status == .created, "\(created.error)")
            #expect(created.json["rows"] as? Int == 3)
            #expect((created.json["schema"] as? [String: Any])?["images"] as? [Int] == [4, 5])
            #expect(created.json["sha256"] as? String == hex(Array((hex(images) + hex(labels)).utf8)), "role order, not part order")
        }
    }

    @Test func badIDXUploadsAre400AndStoreNothing() async throws {
        let images = try idx([3, 4, 5]), labels = try idx([3])
        var truncated = images
        truncated.removeLast(7)
        var corruptGzip = try Gzip.compress(images)
        corruptGzip[corruptGzip.count / 2] ^= 0xFF
        corruptGzip[corruptGzip.count / 2 + 1] ^= 0xFF
        let cases: [(parts: [(name: String, bytes: [UInt8])], message: String)] = [
            ([("images", truncated), ("labels", labels)], "images: IDX data truncated"),
            ([("images", [0x01, 0x02, 0x08, 0x03]), ("labels", labels)], "images: not an IDX file"),
            ([("images", corruptGzip), ("labels", labels)], "images:"),
            ([("images", images), ("labels", try idx([4]))], "images hold 3 samples but labels hold 4"),
            ([("images", try idx([3, 20])), ("labels", labels)], "images: expected rank 3"),
            ([("images", images), ("labels", try idx([3, 1]))], "labels: expected rank 1"),
            ([("images", images)], "missing multipart part 'labels'"),
            ([("images", images), ("labels", labels), ("extra", labels)], "unexpected multipart part 'extra'"),
            ([("images", []), ("labels", labels)], "images: the file is empty"),
        ]
        try await RegistryHarness.run { client, h async throws in
            let before = try await h.snapshot()
            for c in cases {
                let form = multipart(c.parts)
                let response = try await call(client, .post, "/api/v1/datasets?name=tiny&kind=idx", key: h.deploy,
                                              body: form.body, contentType: form.contentType)
                #expect(response.status == .badRequest, "\(c.message)")
                #expect(response.error.contains(c.message), "\(response.error)")
            }
            let form = multipart([("images", images), ("labels", labels)])
            for (query, message) in [("name=tiny&kind=zip", "idx or csv"), ("name=tiny", "idx or csv"), ("kind=idx", "missing query parameter 'name'"),
                                     ("name=..&kind=idx", "invalid name"), ("name=%2e%2e&kind=idx", "invalid name"),
                                     ("name=a%2Fb&kind=idx", "invalid name"), ("name=tiny&kind=idx&x=1", "unknown query parameter 'x'")] {
                let response = try await call(client, .post, "/api/v1/datasets?\(query)", key: h.deploy, body: form.body, contentType: form.contentType)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.error.contains(message), "\(query): \(response.error)")
            }
            let raw = try await call(client, .post, "/api/v1/datasets?name=tiny&kind=idx", key: h.deploy, body: images,
                                     contentType: "application/octet-stream")
            #expect(raw.status == .unsupportedMediaType)
            #expect(try await call(client, .post, "/api/v1/datasets?name=tiny&kind=idx", key: h.read, body: form.body,
                                   contentType: form.contentType).status == .forbidden)
            #expect(try await h.snapshot() == before)
            #expect(h.blobs().isEmpty)
            #expect(try await call(client, .get, "/api/v1/datasets", key: h.read).status == .ok)
        }
    }

    @Test func uploadCSV() async throws {
        try await RegistryHarness.run { client, h async throws in
            let csv = Array("a, b,\"label\"\r\n1,2,0\n\n3,4,1\n   \n5,6,1\n".utf8)
            let created = try await call(client, .post, "/api/v1/datasets?name=table&kind=csv", key: h.deploy, body: csv, contentType: "text/csv")
            #expect(created.status == .created, "\(created.error)")
            #expect(created.json["rows"] as? Int == 3)
            let schema = try #require(created.json["schema"] as? [[String: String]])
            #expect(schema == [["name": "a", "type": "integer"], ["name": "b", "type": "integer"], ["name": "label", "type": "integer"]])
            #expect(created.json["files"] as? [String: String] == ["table": hex(csv)])
            let before = try await h.snapshot()
            for (body, message) in [([UInt8](), "empty"), (Array("\n\n".utf8), "empty"), ([0xFF, 0xFE, 0x41], "UTF-8"),
                                    (Array("a,,b\n1,2,3\n".utf8), "empty column name"),
                                    (Array("a,b\n1,2\n3\n".utf8), "line 3: expected 2 fields, found 1"),
                                    (Array("a,b\n1,\"2\n".utf8), "line 2: a quoted field is not closed")] {
                let response = try await call(client, .post, "/api/v1/datasets?name=table&kind=csv", key: h.deploy, body: body, contentType: "text/csv")
                #expect(response.status == .badRequest)
                #expect(response.error.contains(message), "\(response.error)")
            }
            #expect(try await h.snapshot() == before)
        }
    }

    @Test func unknownDatasetIs404() async throws {
        try await RegistryHarness.run { client, h async throws in
            #expect(try await call(client, .get, "/api/v1/datasets/none", key: h.read).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/datasets/none/versions/1", key: h.deploy).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/datasets/none/versions/0", key: h.deploy).status == .badRequest)
        }
    }

    @Test func oversizedDatasetIs413() async throws {
        let images = try idx([50, 28, 28]), labels = try idx([50])
        try await RegistryHarness.run(maxBodyBytes: 16 * 1024) { client, h async throws in
            let form = multipart([("images", images), ("labels", labels)])
            let response = try await call(client, .post, "/api/v1/datasets?name=big&kind=idx", key: h.deploy, body: form.body, contentType: form.contentType)
            #expect(response.status == .contentTooLarge)
            #expect(try await h.store.datasets().isEmpty)
            #expect(h.blobs().isEmpty)
        }
    }
}
