import Foundation
import TernTesting
import TernData
import TernFormats

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The MNIST files: `Data/mnist` (or `$TERN_DATA_DIR/mnist`).
let mnistDirectory = TestPaths.mnistDirectory

/// Loaded once per test process.
let mnist: LabeledImages? = try? MNIST.load(directory: mnistDirectory)

func exampleSpec(_ name: String) throws -> ModelSpec {
    let data = try Data(contentsOf: packageRoot.appendingPathComponent("Examples/\(name).json"))
    return try JSONDecoder().decode(ModelSpec.self, from: data)
}

func decodeSpec(_ json: String) throws -> ModelSpec {
    try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
}

func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return String(describing: error) }
}
