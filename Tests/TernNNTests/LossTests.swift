import Foundation
import Testing
import TernTensor
import TernTesting
@testable import TernNN

@Suite struct LossTests {
    /// Composed reference: softmax, then -log p[label], averaged.
    func composedSparseCE(_ logits: Tensor<Float>, _ labels: [Int32]) -> Double {
        let n = logits.shape[1]
        var total = 0.0
        for (i, l) in labels.enumerated() {
            let row = (0..<n).map { Double(logits[flat: i * n + $0]) }
            let m = row.max()!
            let sum = row.reduce(0) { $0 + exp($1 - m) }
            total += -(row[Int(l)] - m - log(sum))
        }
        return total / Double(labels.count)
    }

    @Test func fusedSoftmaxCrossEntropyEqualsComposedVersion() throws {
        let logits = randomTensor([4, 5], seed: 2, low: -3, high: 3)
        let labels: [Int32] = [0, 4, 2, 2]
        let (loss, grad) = try Loss.sparseCategoricalCrossentropy.evaluate(output: logits, targets: .classes(Tensor(labels)), fromLogits: true)
        expectClose(loss, Float(composedSparseCE(logits, labels)), rtol: 1e-5)
        checkGradient("sparse CE logits", of: { composedSparseCE($0, labels) }, at: logits, analytic: grad, step: 1e-3, tolerance: 1e-3)
        // The unfused path on probabilities gives the same loss.
        let probs = Activation.softmax.forward(logits)
        let (loss2, _) = try Loss.sparseCategoricalCrossentropy.evaluate(output: probs, targets: .classes(Tensor(labels)), fromLogits: false)
        expectClose(loss2, loss, rtol: 1e-5)
    }

    @Test func hugeLogitsStayFinite() throws {
        let logits = try Tensor<Float>(shape: [1, 3], scalars: [1000, -1000, 0])
        let (loss, grad) = try Loss.sparseCategoricalCrossentropy.evaluate(output: logits, targets: .classes(Tensor([1])), fromLogits: true)
        #expect(loss.isFinite && abs(loss - 2000) < 1)
        #expect(grad.scalars.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [Loss.meanSquaredError, .binaryCrossentropy, .categoricalCrossentropy])
    func gradientsMatchFiniteDifferences(_ loss: Loss) throws {
        let output = randomTensor([3, 4], seed: 8, low: 0.1, high: 0.9)
        var targets = randomTensor([3, 4], seed: 9, low: 0, high: 1)
        if loss == .categoricalCrossentropy { targets = Activation.softmax.forward(targets) }
        for fromLogits in loss == .meanSquaredError ? [false] : [false, true] {
            let (_, grad) = try loss.evaluate(output: output, targets: .values(targets), fromLogits: fromLogits)
            try checkGradient("\(loss) logits=\(fromLogits)", of: {
                Double(try loss.evaluate(output: $0, targets: .values(targets), fromLogits: fromLogits).loss)
            }, at: output, analytic: grad, step: 1e-3, tolerance: 2e-3)
        }
    }

    @Test func mismatchedTargetsAreRejected() {
        let output = Tensor<Float>(zeros: [2, 3])
        #expect(throws: NNError.self) {
            try Loss.sparseCategoricalCrossentropy.evaluate(output: output, targets: .classes(Tensor([0, 1, 2])), fromLogits: true)
        }
        #expect(throws: (any Error).self) {
            try Loss.sparseCategoricalCrossentropy.evaluate(output: output, targets: .classes(Tensor([0, 7])), fromLogits: true)
        }
        #expect(throws: NNError.self) {
            try Loss.meanSquaredError.evaluate(output: output, targets: .classes(Tensor([0, 1])), fromLogits: false)
        }
    }
}
