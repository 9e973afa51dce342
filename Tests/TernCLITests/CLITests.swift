import Foundation
import Testing
import TernTesting

/// Runs the built `tern` binary (it sits beside the test bundle in the
/// build folder) for exact output and exit codes.
struct CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary: URL? = TestPaths.ternExecutable

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], in directory: URL = root) throws -> Result {
        let binary = try #require(binary, "the tern executable is not built")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite(.serialized) struct CLITests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-cli-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) }

    var mlp: String { CLI.root.appendingPathComponent("Examples/mnist-mlp.json").path }

    @Test func trainEvaluatePredictInspect() throws {
        let model = work.appendingPathComponent("m.tern").path
        let train = try CLI.run(["train", mlp, "--train", "0:2000", "--validation", "8000:9000", "--epochs", "2", "--output", model])
        #expect(train.status == 0, "\(train.stderr)")
        let lines = train.stdout.split(separator: "\n")
        #expect(lines.contains("Epoch 1"), "\(train.stdout)")
        let epochLine = try #require(lines.first { $0.contains("63/63") && $0.contains("val_accuracy") }, "\(train.stdout)")
        for key in ["accuracy:", "loss:", "val_loss:", "val_accuracy:", "━"] { #expect(epochLine.contains(key)) }

        let eval = try CLI.run(["evaluate", model, "--range", "8000:10000"])
        #expect(eval.status == 0)
        let evalLines = eval.stdout.split(separator: "\n").map(String.init)
        let accuracy = try #require(evalLines.first { $0.hasPrefix("accuracy: 0.") })
        #expect(evalLines.contains { $0.range(of: #"^loss: \d+\.\d{4}$"#, options: .regularExpression) != nil })
        #expect(Double(accuracy.dropFirst("accuracy: ".count))! > 0.85)

        let predict = try CLI.run(["predict", model, "--range", "0:5"])
        #expect(predict.status == 0)
        let predLines = predict.stdout.split(separator: "\n")
        #expect(predLines.count == 5)
        #expect(predLines[0].hasPrefix("sample 0: class 7 probability 0."), "\(predict.stdout)")

        let json = try CLI.run(["predict", model, "--range", "0:2", "--json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        let probabilities = try #require(parsed[0]["probabilities"] as? [Double])
        #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-4)

        let inspect = try CLI.run(["inspect", model])
        #expect(inspect.status == 0)
        for text in ["Model: \"mnist-mlp\"", "dense (Dense, relu)", "100,480", "1,290", "Total params: 101,770", "Weights SHA-256:", "val_accuracy"] {
            #expect(inspect.stdout.contains(text), "missing \(text)")
        }
    }

    /// Outside the checkout (here a temporary folder), the data defaults to
    /// the checkout's Data/ and the built-in benchmarks need no spec file.
    @Test func runsFromAnyDirectory() throws {
        let bench = try CLI.run(["bench", "train", "--epochs", "1"], in: work)
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("bench train: mnist-mlp, 60000 samples per epoch"), "\(bench.stdout)")
        let predict = try CLI.run(["bench", "predict", "--iterations", "100", "--batch", "100"], in: work)
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("single image: median"), "\(predict.stdout)")
        let train = try CLI.run(["train", mlp, "--train", "0:500", "--epochs", "1", "--output", "m.tern", "--quiet"], in: work)
        #expect(train.status == 0, "\(train.stderr)")
        let inspect = try CLI.run(["inspect", "m.tern"], in: work)
        #expect(inspect.stdout.contains("Data: mnist rows train:0:500 (500 samples)"), "\(inspect.stdout)")
        let evaluate = try CLI.run(["evaluate", "m.tern", "--range", "0:500"], in: work)
        #expect(evaluate.status == 0 && evaluate.stdout.contains("accuracy: 0."), "\(evaluate.stderr)")
    }

    func expectOneLineError(_ arguments: [String], mentions: String) throws {
        let r = try CLI.run(arguments, in: work)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(mentions), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func errorsAreOneLineWithNonZeroExit() throws {
        let data = ["--data", TestPaths.mnistDirectory.path]
        let badType = work.appendingPathComponent("bad.json")
        try #"{"input": {"shape": [28, 28]}, "layers": [{"type": "dense3", "units": 4}], "compile": {"loss": "mse"}}"#.write(to: badType, atomically: true, encoding: .utf8)
        try expectOneLineError(["train", badType.path] + data, mentions: "dense3")

        let badShape = work.appendingPathComponent("shape.json")
        try #"{"input": {"shape": [28, 28, 1]}, "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "dense", "units": 10}], "compile": {"loss": "sparse_categorical_crossentropy"}}"#.write(to: badShape, atomically: true, encoding: .utf8)
        try expectOneLineError(["train", badShape.path] + data, mentions: "flatten")

        try expectOneLineError(["train", mlp, "--data", work.path], mentions: "train-images")
        try expectOneLineError(["evaluate", "missing.tern", "--data", work.path], mentions: "missing.tern")
        try expectOneLineError(["train", mlp, "--train", "0:70000"] + data, mentions: "70000")
        try expectOneLineError(["train", mlp, "--validation", "test:0:10001"] + data, mentions: "10001")
        try expectOneLineError(["train", mlp, "--train", "validation"] + data, mentions: "train, test")
        try expectOneLineError(["evaluate", "missing.tern"] + data, mentions: "missing.tern")

        let corrupt = work.appendingPathComponent("corrupt.tern")
        try Data("not a model at all".utf8).write(to: corrupt)
        try expectOneLineError(["inspect", corrupt.path], mentions: "artifact")
    }
}
