import Foundation
import TernData
import TernFormats

/// The package root (see ``TestPaths/packageRoot``).
public let packageRoot = TestPaths.packageRoot

/// The MNIST IDX files (see ``TestPaths/mnistDirectory``).
public let mnistDirectory = TestPaths.mnistDirectory

/// The MNIST training and test images, loaded once per test process (nil
/// when the files are missing).
public let mnist: LabeledImages? = try? MNIST.load(directory: mnistDirectory)

/// A model spec from `Examples/<name>.json`.
public func exampleSpec(_ name: String) throws -> ModelSpec {
    let data = try Data(contentsOf: packageRoot.appendingPathComponent("Examples/\(name).json"))
    return try JSONDecoder().decode(ModelSpec.self, from: data)
}

/// A model spec from JSON text.
public func decodeSpec(_ json: String) throws -> ModelSpec {
    try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
}

/// What `body` throws, described; empty when it returns.
public func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return String(describing: error) }
}
