import ArgumentParser
import Foundation
import TernData

struct Infer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send MNIST samples to a served model and print the predicted classes.",
        discussion: "Example: tern infer mnist --version production --range 0:5 [--protocol tfserving]")
    @Argument var name: String
    @Option(help: "A version number or alias (default: the server's choice).") var version: String?
    @OptionGroup var data: DataOptions
    @Option(help: selectionHelp("Samples to send", .test)) var range = "0:5"
    @Option(name: .customLong("protocol"), help: "v2 (KServe) or tfserving.") var wire = "v2"
    @Flag(help: "Print the full output vectors as JSON.") var json = false
    @Option(help: "Models taking float input (such as ONNX imports): the value pixels are divided by.") var pixelScale = 255.0
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let samples = try data.load(range, defaultPart: .test)
        let start = try SampleSelection(parsing: range).firstRow
        let api = try client.client()
        // The model's first input, from its V2 metadata: Tern models take UINT8
        // pixels; a model declaring a float input gets pixels / --pixel-scale.
        let metadata = try await api.request(.GET, "/v2/models/\(name)" + (version.map { "/versions/\($0)" } ?? "")).json
        let input = (metadata["inputs"] as? [[String: Any]])?.first ?? [:]
        let inputName = input["name"] as? String ?? "input"
        let datatype = input["datatype"] as? String ?? "UINT8"
        let floats = datatype == "FP32" || datatype == "FP64"
        let pixels: [Any] = floats ? samples.images.scalars.map { Double($0) / pixelScale } : samples.images.scalars.map { Int($0) }
        let perSample = pixels.count / max(samples.count, 1)
        var sampleShape = Array(samples.images.shape.dimensions.dropFirst())
        if let declared = (input["shape"] as? [Int])?.dropFirst(), !declared.contains(-1), declared.reduce(1, *) == perSample {
            sampleShape = Array(declared)
        }
        let rowsOut: [[Double]]
        switch wire {
        case "v2":
            let path = "/v2/models/\(name)" + (version.map { "/versions/\($0)" } ?? "") + "/infer"
            let body: [String: Any] = ["inputs": [["name": inputName, "datatype": floats ? datatype : "UINT8",
                                                   "shape": [samples.count] + sampleShape, "data": pixels]]]
            let reply = try await api.request(.POST, path, json: body).json
            guard let output = (reply["outputs"] as? [[String: Any]])?.first, let flat = output["data"] as? [NSNumber] else {
                throw CLIError("the server's reply has no outputs")
            }
            let width = flat.count / max(samples.count, 1)
            rowsOut = (0..<samples.count).map { i in flat[(i * width)..<((i + 1) * width)].map(\.doubleValue) }
        case "tfserving":
            let path = "/v1/models/\(name)" + (version.map { $0.allSatisfy(\.isNumber) ? "/versions/\($0)" : "/labels/\($0)" } ?? "") + ":predict"
            let instances = (0..<samples.count).map { Array(pixels[($0 * perSample)..<(($0 + 1) * perSample)]) }
            let reply = try await api.request(.POST, path, json: ["instances": instances]).json
            guard let predictions = reply["predictions"] as? [[NSNumber]] else { throw CLIError("the server's reply has no predictions") }
            rowsOut = predictions.map { $0.map(\.doubleValue) }
        default:
            throw CLIError("--protocol must be v2 or tfserving")
        }
        let labels = samples.labels.scalars
        if json {
            try printJSON(rowsOut.enumerated().map { ["sample": start + $0.offset, "probabilities": $0.element] })
            return
        }
        for (i, row) in rowsOut.enumerated() {
            let best = row.indices.max { row[$0] < row[$1] } ?? 0
            print("sample \(start + i): class \(best) probability \(String(format: "%.4f", row[best])) (label \(labels[i]))")
        }
    }
}
