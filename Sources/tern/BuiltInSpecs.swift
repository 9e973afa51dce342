import Foundation
import TernFormats

/// Specs the CLI carries itself, so the built-in benchmarks run from any
/// directory. `Examples/mnist-mlp.json` is the same model (`tern bench
/// train` prints the spec's name and a test runs it outside the checkout).
enum BuiltInSpecs {
    /// The classic Keras MNIST model: Flatten, Dense 128 relu, Dense 10
    /// softmax; Adam; sparse categorical cross-entropy; 5 epochs of batch 32.
    static let mnistMLPJSON = """
        {
          "name": "mnist-mlp",
          "input": {"shape": [28, 28], "dtype": "uint8"},
          "preprocessing": [{"type": "rescale", "scale": 0.00392156862745098}],
          "layers": [
            {"type": "flatten"},
            {"type": "dense", "units": 128, "activation": "relu"},
            {"type": "dense", "units": 10, "activation": "softmax"}
          ],
          "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
          "fit": {"epochs": 5, "batch_size": 32, "seed": 42}
        }
        """

    static var mnistMLP: ModelSpec {
        get throws { try JSONDecoder().decode(ModelSpec.self, from: Data(mnistMLPJSON.utf8)) }
    }
}
