import ArgumentParser
import Foundation
import TernNN
import TernTensor
import TernFormats
import TernLLM
import TernONNX
import TernServing
import TernData

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's architecture, parameter counts, training metrics and checksums (.tern, .onnx or .gguf).",
        discussion: "Example: tern inspect mnist.tern")

    @Argument(help: "The model artifact.") var model: String

    func run() throws {
        if self.model.lowercased().hasSuffix(".gguf") {
            do {
                print(try GGUFFile(contentsOf: URL(fileURLWithPath: self.model)).summary)
            } catch let error as GGUFError {
                throw CLIError(error.description)
            } catch {
                throw CLIError("cannot read '\(URL(fileURLWithPath: self.model).lastPathComponent)'")
            }
            return
        }
        if let onnx = try readServable(self.model) as? ONNXModel {
            print(onnxSummary(onnx))
            return
        }
        let model = try loadModel(self.model)
        print(summary(model))
    }
}

/// An ONNX graph: producer, opset, inputs and outputs, operators and weights.
func onnxSummary(_ model: ONNXModel) -> String {
    func describe(_ info: ONNXValueInfo) -> String {
        let dims = info.shape.map { shape in
            "(" + shape.map { dim -> String in
                switch dim {
                case let .fixed(n): return String(n)
                case let .symbolic(name): return name.isEmpty ? "?" : name
                }
            }.joined(separator: ", ") + ")"
        } ?? "(unknown shape)"
        return "  \(info.name): \(info.dtype.onnxName) \(dims)"
    }
    let graph = model.graph
    var counts: [String: Int] = [:]
    for node in graph.nodes { counts[node.opType, default: 0] += 1 }
    let weights = graph.initializers.values.reduce(0) { $0 + $1.count }
    var lines = ["ONNX model: \(graph.producer.isEmpty ? "unknown producer" : graph.producer), opset \(graph.opsetVersion)", "inputs:"]
    lines += model.inputInfos.map(describe)
    lines.append("outputs:")
    lines += model.outputInfos.map(describe)
    lines.append("nodes: \(graph.nodes.count) (" + counts.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ") + ")")
    lines.append("constants: \(graph.initializers.count) tensors, \(grouped(weights)) values (\(model.parameterBytes) bytes)")
    return lines.joined(separator: "\n")
}

/// Keras `summary()`-style table followed by training details.
func summary(_ model: TernModel) -> String {
    let net = model.network
    var lines = ["Model: \"\(model.spec.name)\""]
    let rule = String(repeating: "_", count: 72), double = String(repeating: "=", count: 72)
    func row(_ a: String, _ b: String, _ c: String) -> String {
        " " + a.padding(toLength: 32, withPad: " ", startingAt: 0) + b.padding(toLength: 26, withPad: " ", startingAt: 0) + c
    }
    lines += [rule, row("Layer (type)", "Output Shape", "Param #"), double]
    lines.append(row("input (InputLayer)", shape(net.inputShape) + " " + model.spec.input.dtype.rawValue, "0"))
    for (i, spec) in model.spec.preprocessing.enumerated() {
        if case let .rescale(scale, offset) = spec {
            lines.append(row("rescale\(i == 0 ? "" : "_\(i)") (Rescaling)", shape(net.inputShape), "0  x*\(scale)\(offset == 0 ? "" : "+\(offset)")"))
        }
    }
    for (i, name) in net.specNames.enumerated() {
        let (trainable, frozen) = net.parameterCounts(ofSpecLayer: i)
        var type = className(net.specs[i])
        if let act = activationName(net.specs[i]) { type += ", \(act)" }
        lines.append(row("\(name) (\(type))", shape(net.specOutputShapes[i]), grouped(trainable + frozen)))
    }
    let (trainable, frozen) = model.parameterCount
    lines += [double,
              "Total params: \(grouped(trainable + frozen))",
              "Trainable params: \(grouped(trainable))",
              "Non-trainable params: \(grouped(frozen))", rule]
    let compile = model.spec.compile
    lines.append("Optimizer: \(compile.optimizer.type)  Loss: \(compile.loss.rawValue)  Metrics: \(compile.metrics.joined(separator: ", "))")
    if !model.spec.augmentation.isEmpty {
        lines.append("Augmentation (training only): " + model.spec.augmentation.map(augmentationText).joined(separator: ", "))
    }
    if let t = model.training {
        lines.append("Trained: \(t.trainedAt), \(t.epochs) epochs, batch \(t.batchSize), seed \(t.seed), \(String(format: "%.1f", t.seconds)) s")
        if let d = t.dataset {
            lines.append("Data: \(d.name) rows \(d.trainRows) (\(d.trainSamples) samples)" + (d.validationRows.map { ", validation \($0) (\(d.validationSamples))" } ?? ""))
        }
        for e in t.history {
            lines.append("  epoch \(e.epoch): \(formatMetrics(orderedMetrics(e.metrics)))")
        }
        lines.append("Final metrics: \(formatMetrics(orderedMetrics(t.finalMetrics)))")
    } else {
        lines.append("Not trained.")
    }
    lines.append("Weights SHA-256: \(model.weightsChecksum)")
    return lines.joined(separator: "\n")
}

private func augmentationText(_ step: AugmentationStep) -> String {
    switch step {
    case let .randomShift(maxPixels): return "random_shift ±\(maxPixels) px"
    case let .randomRotation(degrees): return "random_rotation ±\(degrees)°"
    case let .randomZoom(factor): return "random_zoom ±\(factor)"
    case let .randomFlip(horizontal, vertical):
        return "random_flip " + [horizontal ? "horizontal" : nil, vertical ? "vertical" : nil].compactMap { $0 }.joined(separator: "+")
    case let .gaussianNoise(stddev): return "gaussian_noise σ \(stddev)"
    }
}

private func shape(_ s: TernTensor.Shape) -> String {
    "(None, " + s.dimensions.map(String.init).joined(separator: ", ") + ")"
}

private func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return out
}

private func className(_ spec: LayerSpec) -> String {
    switch spec {
    case .dense: return "Dense"
    case .flatten: return "Flatten"
    case .conv2D: return "Conv2D"
    case .maxPooling2D: return "MaxPooling2D"
    case .averagePooling2D: return "AveragePooling2D"
    case .dropout: return "Dropout"
    case .batchNormalization: return "BatchNormalization"
    case .activation: return "Activation"
    }
}

private func activationName(_ spec: LayerSpec) -> String? {
    switch spec {
    case let .dense(_, a, _), let .conv2D(_, _, _, _, a, _), let .activation(a): return a == .linear ? nil : a.rawValue
    default: return nil
    }
}
