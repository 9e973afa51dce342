import Foundation
import Hummingbird
import TernData
import TernRegistry
import TernTensor
import TernSupport

/// A dataset checked and described, ready to store.
struct DatasetUpload {
    let kind: DatasetRecord.Kind
    /// Role → file bytes as uploaded, in role order.
    let files: [(role: String, bytes: [UInt8])]
    let rows: Int
    let schema: RegistryJSON
}

extension RegistryRoutes {
    func addDatasetRoutes(to api: RouterGroup<TernRequestContext>) {
        api.post("datasets") { request, context in try await createDataset(request, context) }
        api.get("datasets") { _, context in try await listDatasets(context) }
        api.get("datasets/:name") { request, context in try await getDataset(request, context) }
        api.delete("datasets/:name/versions/:version") { _, context in try await deleteDataset(context) }
    }

    static func datasetJSON(_ d: DatasetRecord) -> RegistryJSON {
        [
            "name": .string(d.name),
            "version": .int(d.version),
            "kind": .string(d.kind.rawValue),
            "rows": .int(d.rows),
            "schema": RegistryJSON(parsing: d.schema),
            "files": RegistryJSON(d.files),
            "sha256": .string(d.sha256),
            "created_at": RegistryJSON(d.createdAt),
            "created_by": RegistryJSON(d.createdBy),
        ]
    }

    /// `?name=...&kind=idx|csv`: IDX as multipart parts `images` and
    /// `labels` (plus, optionally, a test part: `test_images` and
    /// `test_labels`, as MNIST ships), CSV as the raw body. Everything is
    /// validated before any file is stored.
    func createDataset(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        try RegistryRoutes.checkQuery(request, allowed: ["name", "kind"])
        guard let name = request.uri.queryParameters["name"].map(String.init) else {
            throw APIError(.badRequest, "missing query parameter 'name'")
        }
        try Names.validate(name, kind: "dataset")
        let kindText = request.uri.queryParameters["kind"].map(String.init)
        guard let kindText, let kind = DatasetRecord.Kind(rawValue: kindText) else {
            throw APIError(.badRequest, "query parameter 'kind' must be idx or csv")
        }
        let contentType = request.headers[.contentType]
        let body = Array(try await request.collectBody(limit: services.configuration.maxBodyBytes).readableBytesView)
        // Inflating and parsing run on the bounded pool for heavy checks, off the request threads.
        let upload: DatasetUpload = try await services.checks.run {
            switch kind {
            case .idx:
                guard Multipart.isFormData(contentType), let contentType else {
                    throw APIError(.unsupportedMediaType, "send IDX datasets as multipart/form-data with parts 'images' and 'labels'")
                }
                let parts = try Multipart.parts(Multipart.parse(body, boundary: Multipart.boundary(contentType: contentType)),
                                                named: ["images", "labels"], optional: ["test_images", "test_labels"])
                let train = try RegistryRoutes.checkIDX(images: Array(parts["images"]?.body ?? []), labels: Array(parts["labels"]?.body ?? []))
                switch (parts["test_images"], parts["test_labels"]) {
                case (nil, nil):
                    return train
                case let (images?, labels?):
                    let test = try RegistryRoutes.checkIDX(images: Array(images.body), labels: Array(labels.body), prefix: "test_")
                    guard case var .object(schema) = train.schema, case let .object(testSchema) = test.schema,
                          testSchema["images"] == schema["images"], testSchema["dtype"] == schema["dtype"] else {
                        throw APIError(.badRequest, "test_images: the test images must have the training images' size and type")
                    }
                    schema["test_rows"] = .int(test.rows)
                    return DatasetUpload(kind: .idx, files: [("images", train.files[0].bytes), ("labels", train.files[1].bytes),
                                                               ("test_images", Array(images.body)), ("test_labels", Array(labels.body))],
                                           rows: train.rows, schema: .object(schema))
                default:
                    throw APIError(.badRequest, "send both 'test_images' and 'test_labels', or neither")
                }
            case .csv:
                guard !Multipart.isFormData(contentType) else {
                    throw APIError(.unsupportedMediaType, "send CSV datasets as the raw request body (text/csv)")
                }
                return try RegistryRoutes.checkCSV(body)
            }
        }
        let schema = String(decoding: try upload.schema.encoded(), as: UTF8.self)
        let createdBy = context.identity?.id
        let record = try await services.registrar.withBlobLock {
            var files: [String: String] = [:]
            var order: [String] = []
            do {
                for file in upload.files {
                    let sha = try artifacts.put(file.bytes)
                    files[file.role] = sha
                    order.append(sha)
                }
                let identity = sha256Hex(Array(order.joined().utf8))
                return try await store.createDataset(name: name, kind: upload.kind, rows: upload.rows, schema: schema,
                                                     files: files, sha256: identity, createdBy: createdBy)
            } catch {
                await services.registrar.removeUnreferenced(order)
                throw error
            }
        }
        return try registryResponse(RegistryRoutes.datasetJSON(record), status: .created)
    }

    /// Parses both IDX files (gzip or raw): images of rank 3, labels of
    /// rank 1 holding integers, with equal counts.
    static func checkIDX(images: [UInt8], labels: [UInt8], prefix: String = "") throws -> DatasetUpload {
        func parse(_ bytes: [UInt8], role: String) throws -> AnyTensor {
            let role = prefix + role
            guard !bytes.isEmpty else { throw APIError(.badRequest, "\(role): the file is empty") }
            do {
                return try IDX.parse(try Gzip.decompress(bytes, maxOutputBytes: RegistryRoutes.inflationLimit(compressedBytes: bytes.count)))
            } catch let error as IDXError {
                throw APIError(.badRequest, "\(role): \(error.description)")
            } catch let error as GzipError {
                throw APIError(.badRequest, "\(role): \(error.description)")
            }
        }
        let x = try parse(images, role: "images")
        let y = try parse(labels, role: "labels")
        guard x.shape.rank == 3 else {
            throw APIError(.badRequest, "\(prefix)images: expected rank 3 (count, height, width), got shape \(x.shape.dimensions)")
        }
        guard y.shape.rank == 1 else {
            throw APIError(.badRequest, "\(prefix)labels: expected rank 1 (count), got shape \(y.shape.dimensions)")
        }
        guard y.dtype == .uint8 || y.dtype == .int32 else {
            throw APIError(.badRequest, "\(prefix)labels: expected integer labels (ubyte or int), got \(y.dtype.idxName)")
        }
        guard x.shape[0] == y.shape[0] else {
            throw APIError(.badRequest, "\(prefix)images hold \(x.shape[0]) samples but labels hold \(y.shape[0])")
        }
        let dtype: String
        switch x.dtype {
        case .uint8: dtype = "uint8"
        case .int32: dtype = "int32"
        case .float32: dtype = "float32"
        default: throw APIError(.badRequest, "\(prefix)images: expected ubyte, int or float elements, got \(x.dtype.idxName)")
        }
        return DatasetUpload(kind: .idx, files: [("images", images), ("labels", labels)], rows: x.shape[0],
                             schema: ["images": [.int(x.shape[1]), .int(x.shape[2])], "dtype": .string(dtype)])
    }

    /// How far an uploaded gzip file may inflate: 100 times its size (real
    /// IDX files inflate 2-10 times; a decompression bomb ~1,000), at least
    /// 16 MiB, at most IDX's own limit, so a 1 MB upload cannot make the
    /// server hold 1 GB.
    static func inflationLimit(compressedBytes: Int) -> Int {
        min(IDX.defaultMaxBytes, max(16 << 20, compressedBytes.multipliedReportingOverflow(by: 100).partialValue))
    }

    /// The file role of a CSV dataset's table.
    static let csvTableRole = "table"

    /// A CSV stored as is, once ``CSVReader`` has parsed it (malformed
    /// records are refused with their line): rows are the data records, the
    /// schema the columns as `[{"name": ..., "type": ...}]` with the
    /// inferred types.
    static func checkCSV(_ body: [UInt8]) throws -> DatasetUpload {
        let table = try CSVReader.parse(body).table
        let schema: RegistryJSON = .array(table.columns.map { ["name": .string($0.name), "type": .string($0.type.rawValue)] })
        return DatasetUpload(kind: .csv, files: [(csvTableRole, body)], rows: table.rowCount, schema: schema)
    }

    func listDatasets(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        let datasets = try await store.datasets().sorted { ($0.name, $0.version) < ($1.name, $1.version) }
        return try registryResponse(["datasets": .array(datasets.map(RegistryRoutes.datasetJSON))])
    }

    /// The latest version, or `?version=N`.
    func getDataset(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        try RegistryRoutes.checkQuery(request, allowed: ["version"])
        let name = try name(context, "name", kind: "dataset")
        let version = try request.uri.queryParameters["version"].map { try RegistryRoutes.versionNumber($0) }
        return try registryResponse(RegistryRoutes.datasetJSON(try await store.dataset(name: name, version: version)))
    }

    /// Deletes one version and the files no longer referenced.
    func deleteDataset(_ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        let name = try name(context, "name", kind: "dataset")
        guard let text = context.parameters.get("version") else { throw APIError(.badRequest, "missing version") }
        let version = try RegistryRoutes.versionNumber(Substring(text))
        let record = try await store.dataset(name: name, version: version)
        try await services.registrar.withBlobLock {
            try await store.deleteDataset(name: name, version: version)
            await services.registrar.removeUnreferenced(Array(record.files.values))
        }
        return Response(status: .noContent)
    }
}
