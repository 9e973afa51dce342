import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TernData
import TernTensor
@testable import TernServer

/// `GET /api/v1/datasets/{name}/profile`.
@Suite struct RegistryProfileTests {
    @Test func profileOfACSVDataset() async throws {
        try await RegistryHarness.run { client, h async throws in
            let v1 = Array("x,kind\n1,a\n2,b\n,a\n".utf8)
            let v2 = Array("x,kind,when\n1.5,a,2024-01-31\n2.5,a,2024-02-01\n".utf8)
            for body in [v1, v2] {
                let created = try await call(client, .post, "/api/v1/datasets?name=tbl&kind=csv", key: h.deploy, body: body, contentType: "text/csv")
                #expect(created.status == .created, "\(created.error)")
            }
            let latest = try await call(client, .get, "/api/v1/datasets/tbl/profile", key: h.read)
            #expect(latest.status == .ok, "\(latest.error)")
            #expect(latest.headers[.contentType] == "application/json")
            #expect(latest.json["rows"] as? Int == 2)
            let columns = try #require(latest.json["columns"] as? [[String: Any]])
            #expect(columns.map { $0["name"] as? String } == ["x", "kind", "when"])
            #expect(columns.map { $0["type"] as? String } == ["float", "categorical", "datetime"])
            #expect(columns[0]["mean"] as? Double == 2 && columns[0]["p50"] as? Double == 2)
            let histogram = try #require(columns[0]["histogram"] as? [String: Any])
            #expect((histogram["edges"] as? [Double])?.count == 11 && (histogram["counts"] as? [Int])?.reduce(0, +) == 2)
            let top = try #require(columns[1]["top"] as? [[String: Any]])
            #expect(top.count == 1 && top.first?["value"] as? String == "a" && top.first?["count"] as? Int == 2)

            let first = try await call(client, .get, "/api/v1/datasets/tbl/profile?version=1", key: h.read)
            #expect(first.json["rows"] as? Int == 3)
            let x = try #require((first.json["columns"] as? [[String: Any]])?.first)
            #expect(x["type"] as? String == "integer" && x["missing"] as? Int == 1 && x["count"] as? Int == 2)
            // The response decodes as the library's type.
            let decoded = try JSONDecoder().decode(TableProfile.self, from: Data(first.bytes))
            #expect(decoded == profile(try CSVReader.parse(v1).table))

            #expect(try await call(client, .get, "/api/v1/datasets/tbl/profile", key: nil).status == .unauthorized)
            #expect(try await call(client, .get, "/api/v1/datasets/tbl/profile", key: h.predict).status == .ok, "predict keys may read")
            #expect(try await call(client, .get, "/api/v1/datasets/tbl/profile?version=9", key: h.read).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/datasets/none/profile", key: h.read).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/datasets/tbl/profile?version=x", key: h.read).status == .badRequest)
            #expect(try await call(client, .get, "/api/v1/datasets/tbl/profile?n=1", key: h.read).status == .badRequest)
        }
    }

    @Test func idxDatasetsAre400() async throws {
        let images = try IDX.encode(Tensor<UInt8>(shape: Shape([2, 3, 3]), scalars: Array(repeating: 1, count: 18)))
        let labels = try IDX.encode(Tensor<UInt8>(shape: Shape([2]), scalars: [0, 1]))
        try await RegistryHarness.run { client, h async throws in
            let form = multipart([("images", images), ("labels", labels)])
            let created = try await call(client, .post, "/api/v1/datasets?name=digits&kind=idx", key: h.deploy,
                                         body: form.body, contentType: form.contentType)
            #expect(created.status == .created)
            let response = try await call(client, .get, "/api/v1/datasets/digits/profile", key: h.read)
            #expect(response.status == .badRequest)
            #expect(response.error.contains("profile is for CSV datasets"), "\(response.error)")
        }
    }
}
