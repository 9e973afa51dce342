import Foundation
import TernFormats
import TernONNX
import TernRegistry
import TernSupport
import TernTensor

/// What the registry records about an uploaded artifact.
public struct ArtifactDescription: Sendable {
    /// The spec as JSON text: a Tern model's spec, or a description of a
    /// graph's inputs, outputs and operators.
    public var spec: String
    /// Final training metrics (none for an imported file).
    public var metrics: [String: Double]
    public var lineage: Lineage
    /// The weights' checksum, for a format that records one.
    public var weightsSHA256: String?
}

/// The model file formats Tern serves. A new kind of model adds its reader
/// (and what the registry records about it) here, beside its
/// ``ServableModel`` conformance.
public enum ModelFormats {
    /// Reads an artifact: ONNX when it is not a safetensors file
    /// (``ONNXModel/isONNX(_:)``), else a Tern artifact (checksums verified).
    /// - Throws: ``FormatError``, ``ONNXError`` or ``ONNXRuntimeError``.
    public static func read(_ artifact: [UInt8]) throws -> any ServableModel {
        if ONNXModel.isONNX(artifact) { return try ONNXModel(bytes: artifact) }
        return try TernModel(artifact: artifact)
    }

    /// Checks an uploaded artifact completely (an ONNX graph's every
    /// operator and attribute, and its constant folding within
    /// ``PredictionLimits/maxElements``; a Tern artifact's checksums, spec
    /// and weights) and describes it for the registry.
    /// - Throws: ``ServingError/invalid(_:)`` naming what is wrong.
    public static func describe(_ bytes: [UInt8]) throws -> ArtifactDescription {
        if ONNXModel.isONNX(bytes) {
            let onnx: ONNXModel
            do { onnx = try ONNXModel(bytes: bytes) } catch let error as ONNXError {
                throw ServingError.invalid("invalid model artifact: neither a Tern artifact (safetensors) nor a valid ONNX model (\(error.description))")
            } catch let error as ONNXRuntimeError {
                throw ServingError.invalid("unsupported ONNX model: \(error.description)")
            } catch {
                throw ServingError.invalid("invalid model artifact")
            }
            return ArtifactDescription(spec: onnxSpec(onnx), metrics: [:], lineage: Lineage(), weightsSHA256: nil)
        }
        let parsed: TernModel
        do { parsed = try TernModel(artifact: bytes) } catch let error as FormatError {
            throw ServingError.invalid(error.description)
        } catch {
            throw ServingError.invalid("invalid model artifact")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let spec = (try? encoder.encode(parsed.spec)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ArtifactDescription(spec: spec, metrics: parsed.training?.finalMetrics ?? [:], lineage: Lineage.of(parsed),
                                   weightsSHA256: parsed.weightsChecksum)
    }

    /// An ONNX file's description: opset, producer, inputs and outputs
    /// (symbolic dimensions by name), operators and node count.
    private static func onnxSpec(_ model: ONNXModel) -> String {
        func describe(_ info: ONNXValueInfo) -> JSONValue {
            let shape: [JSONValue] = info.shape?.map {
                switch $0 {
                case let .fixed(n): return .int(Int64(n))
                case let .symbolic(name): return .string(name.isEmpty ? "?" : name)
                }
            } ?? []
            return .object(["name": .string(info.name), "datatype": .string(info.dtype.v2Name), "shape": .array(shape)])
        }
        let ops = Set(model.graph.nodes.map(\.opType)).sorted()
        return String(decoding: JSONValue.object([
            "format": .string("onnx"),
            "opset": .int(Int64(model.graph.opsetVersion)),
            "producer": .string(model.graph.producer),
            "inputs": .array(model.inputInfos.map(describe)),
            "outputs": .array(model.outputInfos.map(describe)),
            "operators": .array(ops.map { .string($0) }),
            "nodes": .int(Int64(model.graph.nodes.count)),
        ]).serialized(), as: UTF8.self)
    }
}
