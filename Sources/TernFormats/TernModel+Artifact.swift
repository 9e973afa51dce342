import Foundation
import Crypto
import TernTensor
import TernNN
import TernData
import TernSupport

/// The model artifact is one valid safetensors file: the weights as tensors
/// named by parameter path (`dense/kernel`), and in `__metadata__` the JSON
/// spec, the training record, and SHA-256 checksums of the weight bytes and
/// of that metadata, both verified on load. Any safetensors reader can open it.
extension TernModel {
    static let formatName = "tern.model"
    public static let formatVersion = "1"

    /// The artifact's bytes.
    public func artifactBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let specJSON = String(decoding: try encoder.encode(spec), as: UTF8.self)
        let trainingJSON = try training.map { String(decoding: try encoder.encode($0), as: UTF8.self) } ?? "null"
        var file = SafeTensorsFile(tensors: network.parameters.map { ($0.name, AnyTensor.float32($0.value)) }, metadata: [:])
        var weights = SHA256()
        for p in network.parameters { p.value.withUnsafeBufferPointer { weights.update(bufferPointer: UnsafeRawBufferPointer($0)) } }
        let tabularJSON = try tabular.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        file.metadata = [
            "format": TernModel.formatName,
            "format_version": TernModel.formatVersion,
            "spec": specJSON,
            "training": trainingJSON,
            "weights_sha256": hexString(weights.finalize()),
            "metadata_sha256": TernModel.metadataChecksum(spec: specJSON, training: trainingJSON, tabular: tabularJSON),
        ]
        if let tabularJSON { file.metadata["tabular_pipeline"] = tabularJSON }
        return try file.encode()
    }

    /// SHA-256 over the spec, the training record and (table models) the
    /// fitted pipeline, separated by NUL bytes.
    static func metadataChecksum(spec: String, training: String, tabular: String?) -> String {
        let text = spec + "\u{0}" + training + (tabular.map { "\u{0}" + $0 } ?? "")
        return hexString(SHA256.hash(data: Array(text.utf8)))
    }

    /// The SHA-256 of the weight bytes, as stored in the artifact (hex).
    public var weightsChecksum: String {
        var weights = SHA256()
        for p in network.parameters { p.value.withUnsafeBufferPointer { weights.update(bufferPointer: UnsafeRawBufferPointer($0)) } }
        return hexString(weights.finalize())
    }

    /// Reads an artifact, verifying both checksums and that the weights fit
    /// the spec's architecture.
    /// - Throws: ``FormatError`` naming what is wrong.
    public init(artifact bytes: [UInt8]) throws {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile.decode(bytes) } catch {
            throw FormatError.invalidArtifact("\(error)")
        }
        let meta = file.metadata
        guard meta["format"] == TernModel.formatName else {
            throw FormatError.invalidArtifact("not a Tern model (no '\(TernModel.formatName)' format marker in the safetensors metadata)")
        }
        guard meta["format_version"] == TernModel.formatVersion else {
            throw FormatError.invalidArtifact("unsupported format version '\(meta["format_version"] ?? "none")'")
        }
        guard let specJSON = meta["spec"], let trainingJSON = meta["training"],
              let expectedWeights = meta["weights_sha256"], let expectedMeta = meta["metadata_sha256"] else {
            throw FormatError.invalidArtifact("metadata lacks spec, training record or checksums")
        }
        let tabularJSON = meta["tabular_pipeline"]
        let actualMeta = TernModel.metadataChecksum(spec: specJSON, training: trainingJSON, tabular: tabularJSON)
        guard actualMeta == expectedMeta else {
            throw FormatError.checksumMismatch(what: "metadata", expected: expectedMeta, actual: actualMeta)
        }
        var weights = SHA256()
        var loaded: [String: Tensor<Float>] = [:]
        for (name, tensor) in file.tensors {
            guard case let .float32(t) = tensor else {
                throw FormatError.invalidArtifact("tensor '\(name)' is not F32")
            }
            t.withUnsafeBufferPointer { weights.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            loaded[name] = t
        }
        let actualWeights = hexString(weights.finalize())
        guard actualWeights == expectedWeights else {
            throw FormatError.checksumMismatch(what: "weights", expected: expectedWeights, actual: actualWeights)
        }
        let decoder = JSONDecoder()
        let spec: ModelSpec
        do { spec = try decoder.decode(ModelSpec.self, from: Data(specJSON.utf8)) } catch {
            throw FormatError.invalidArtifact("stored spec does not decode: \(describe(error))")
        }
        try self.init(spec: spec)
        training = trainingJSON == "null" ? nil : try? decoder.decode(TrainingRecord.self, from: Data(trainingJSON.utf8))
        if let tabularJSON {
            do { tabular = try decoder.decode(FittedTabularPipeline.self, from: Data(tabularJSON.utf8)) } catch {
                throw FormatError.invalidArtifact("stored tabular pipeline does not decode: \(describe(error))")
            }
            guard tabular?.featureNames.count == spec.input.shape.count else {
                throw FormatError.invalidArtifact("the stored pipeline makes \(tabular?.featureNames.count ?? 0) features; the network takes \(spec.input.shape.count)")
            }
        } else if spec.input.format == .table {
            throw FormatError.invalidArtifact("a table model without its fitted pipeline")
        }
        do { try network.load(parameters: loaded) } catch let error as NNError {
            throw FormatError.invalidArtifact(error.description)
        }
    }

    /// Writes the artifact atomically and durably (``AtomicFile``).
    public func save(to url: URL) throws {
        let bytes = try artifactBytes()
        do { try AtomicFile.write(bytes, to: url) } catch let error as AtomicFile.WriteError {
            throw FormatError.invalidArtifact(error.description)
        }
    }

    /// Loads an artifact file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FormatError.invalidArtifact("cannot read '\(url.lastPathComponent)'")
        }
        try self.init(artifact: [UInt8](data))
    }
}

/// A one-line description of a decoding error that names the field.
public func describe(_ error: any Error) -> String {
    switch error {
    case let DecodingError.keyNotFound(key, context):
        return "missing '\(path(context.codingPath + [key]))'"
    case let DecodingError.typeMismatch(type, context):
        return "'\(path(context.codingPath))' should be \(typeName(type))"
    case let DecodingError.valueNotFound(type, context):
        return "'\(path(context.codingPath))' should be \(typeName(type)), not null"
    case let DecodingError.dataCorrupted(context):
        if context.codingPath.isEmpty { return "not valid JSON" }
        return "'\(path(context.codingPath))': \(context.debugDescription)"
    default:
        return "\(error)"
    }
}

private func path(_ keys: [any CodingKey]) -> String {
    keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is UInt64.Type: return "an integer"
    case is Float.Type, is Double.Type: return "a number"
    case is Bool.Type: return "true or false"
    default: return "\(type)".hasPrefix("Array") ? "a list" : "an object"
    }
}
