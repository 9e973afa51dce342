import TernTensor

/// Accumulates predictions over batches and reports Keras-style metrics:
/// accuracy, precision / recall / F1 (macro-averaged over classes, or of the
/// positive class for binary outputs) for classification; MAE, MSE, RMSE and
/// R² for regression.
public struct Metrics: Sendable {
    /// Metric names accepted in `compile.metrics`.
    public static let known: Set<String> = ["accuracy", "acc", "precision", "recall", "f1", "mae", "mse", "rmse", "r2"]

    public let classification: Bool
    public let classes: Int
    /// Per class: samples of it predicted as it, samples predicted as it,
    /// samples that are it. Enough for accuracy and precision / recall / F1
    /// in O(classes), where a confusion matrix would be O(classes²).
    private var hits: [Int], predicted: [Int], actual: [Int]
    private var count = 0
    private var absError: Double = 0, sqError: Double = 0, sumY: Double = 0, sumY2: Double = 0

    /// - Parameters:
    ///   - classification: whether outputs are class scores.
    ///   - outputWidth: units of the output layer (1 = binary classification).
    public init(classification: Bool, outputWidth: Int) {
        self.classification = classification
        self.classes = classification ? max(outputWidth, 2) : 0
        hits = Array(repeating: 0, count: classes)
        predicted = hits
        actual = hits
    }

    /// Adds a batch: `output` (batch, width) holds probabilities or logits
    /// (argmax and sign are the same either way; `logits` says which for
    /// binary thresholds).
    public mutating func add(output: Tensor<Float>, targets: Targets, logits: Bool) {
        let batch = output.shape[0]
        let width = output.count / max(batch, 1)
        output.withUnsafeBufferPointer { out in
            switch targets {
            case let .classes(labels):
                labels.withUnsafeBufferPointer { l in
                    for i in 0..<batch {
                        let truth = Int(l[i])
                        guard truth >= 0, truth < classes else { continue }
                        tally(truth: truth, predicted: argmax(out, row: i, width: width))
                    }
                }
                count += batch
            case let .values(y):
                y.withUnsafeBufferPointer { y in
                    if classification {
                        for i in 0..<batch {
                            let (truth, predicted): (Int, Int)
                            if width == 1 {
                                truth = y[i] > 0.5 ? 1 : 0
                                predicted = out[i] > (logits ? 0 : 0.5) ? 1 : 0
                            } else {
                                truth = argmax(y, row: i, width: width)
                                predicted = argmax(out, row: i, width: width)
                            }
                            tally(truth: truth, predicted: predicted)
                        }
                    } else {
                        for i in 0..<min(y.count, out.count) {
                            let e = Double(out[i] - y[i])
                            absError += abs(e)
                            sqError += e * e
                            sumY += Double(y[i])
                            sumY2 += Double(y[i]) * Double(y[i])
                        }
                    }
                    count += classification ? batch : min(y.count, out.count)
                }
            }
        }
    }

    private mutating func tally(truth: Int, predicted guess: Int) {
        actual[truth] += 1
        predicted[guess] += 1
        if truth == guess { hits[truth] += 1 }
    }

    private func argmax(_ buffer: UnsafeBufferPointer<Float>, row: Int, width: Int) -> Int {
        var best = 0
        var bestValue = buffer[row * width]
        for j in 1..<max(width, 1) where buffer[row * width + j] > bestValue {
            best = j
            bestValue = buffer[row * width + j]
        }
        return best
    }

    public var accuracy: Double {
        let correct = hits.reduce(0, +)
        return count == 0 ? 0 : Double(correct) / Double(count)
    }

    /// Precision, recall and F1: of class 1 for binary outputs, else macro averages.
    public var precisionRecallF1: (precision: Double, recall: Double, f1: Double) {
        func stats(_ c: Int) -> (Double, Double, Double) {
            let tp = Double(hits[c]), predicted = Double(self.predicted[c]), actual = Double(self.actual[c])
            let p = predicted == 0 ? 0 : tp / predicted, r = actual == 0 ? 0 : tp / actual
            return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
        }
        if classes == 2 { return stats(1) }
        var sum = (0.0, 0.0, 0.0)
        for c in 0..<classes { let s = stats(c); sum.0 += s.0; sum.1 += s.1; sum.2 += s.2 }
        let n = Double(max(classes, 1))
        return (sum.0 / n, sum.1 / n, sum.2 / n)
    }

    public var meanAbsoluteError: Double { count == 0 ? 0 : absError / Double(count) }
    public var meanSquaredError: Double { count == 0 ? 0 : sqError / Double(count) }
    public var rootMeanSquaredError: Double { meanSquaredError.squareRoot() }
    public var r2: Double {
        guard count > 0 else { return 0 }
        let mean = sumY / Double(count)
        let total = sumY2 - Double(count) * mean * mean
        return total <= 0 ? 0 : 1 - sqError / total
    }

    /// The requested metrics by canonical name (`acc` reports as `accuracy`).
    public func report(_ names: [String]) -> [(String, Double)] {
        names.compactMap { name in
            switch name {
            case "accuracy", "acc": return ("accuracy", accuracy)
            case "precision": return ("precision", precisionRecallF1.precision)
            case "recall": return ("recall", precisionRecallF1.recall)
            case "f1": return ("f1", precisionRecallF1.f1)
            case "mae": return ("mae", meanAbsoluteError)
            case "mse": return ("mse", meanSquaredError)
            case "rmse": return ("rmse", rootMeanSquaredError)
            case "r2": return ("r2", r2)
            default: return nil
            }
        }
    }
}
