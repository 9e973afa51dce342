import RealModule
import Testing
import TernTensor
import TernTesting

/// The cross-entropy gradient checks difference the Float mean loss with
/// h = 1e-2: truncation h²/6·|f'''| ≲ 2e-5 (|f'''| ≤ 1 for softmax-CE,
/// divided by m), rounding of the loss (≈ 1e-7·|loss| ≲ 4e-7) over 2h ≲ 2e-5.
/// Tolerance 1e-4 absolute.
private let lossGradientTolerance = 1e-4

/// `−(1/m) Σ_i log softmax(x_i)[label_i]`, composed from the separate
/// softmax kernel and a Double log: the unfused reference.
private func composedLoss(_ logits: Tensor<Float>, _ labels: [Int32]) -> Double {
    let p = logits.softmax()
    let n = logits.shape[1]
    let total = labels.enumerated().reduce(0.0) { $0 - Double.log(Double(p[flat: $1.offset * n + Int($1.element)])) }
    return total / Double(labels.count)
}

@Suite struct ReductionTests {
    let matrix = try! Tensor<Float>(shape: [3, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])

    @Test func columnSumsAndBias() throws {
        #expect(try columnSums(matrix).scalars == [15, 18, 21, 24])
        // A rank-4 NHWC tensor sums over everything but channels.
        let nhwc = Tensor<Float>(repeating: 0.5, shape: [2, 3, 4, 5])
        #expect(try columnSums(nhwc).scalars == [Float](repeating: 12, count: 5))
        var x = matrix
        try addBiasRows(&x, bias: Tensor([10, 20, 30, 40]))
        #expect(x.scalars == [11, 22, 33, 44, 15, 26, 37, 48, 19, 30, 41, 52])
        #expect(throws: TensorError.shapeMismatch(op: "addBiasRows", expected: [4], actual: [3])) {
            try addBiasRows(&x, bias: Tensor([1, 2, 3]))
        }
        #expect(throws: TensorError.self) { try columnSums(Tensor<Float>(zeros: [3, 0])) }
    }

    @Test func argmaxPicksFirstMaximum() throws {
        let x = try Tensor<Float>(shape: [3, 4], scalars: [1, 7, 7, 0, -1, -2, -3, -1, 0, 0, 0, 5])
        #expect(try argmaxRows(x) == [1, 0, 3])
        #expect(try argmaxRows(Tensor([4, 9, 2])) == [1])
    }

    @Test func sumAndMean() {
        let x = randomTensor([10_007], seed: 81)
        let expected = x.scalars.reduce(0.0) { $0 + Double($1) }
        expectClose(x.sum(), Float(expected), rtol: 1e-6, atol: 1e-4)
        expectClose(x.mean(), Float(expected / 10_007), rtol: 1e-6, atol: 1e-8)
        #expect(matrix.sum() == 78 && matrix.mean() == 6.5)
        #expect(Tensor<Float>(zeros: [0]).sum() == 0)
    }

    @Test func fusedLossEqualsComposedLoss() throws {
        let logits = randomTensor([6, 5], seed: 91, low: -4, high: 4)
        let labels: [Int32] = [0, 4, 2, 2, 1, 3]
        let result = try softmaxCrossEntropy(logits: logits, labels: labels)
        expectClose(result.meanLoss, Float(composedLoss(logits, labels)), rtol: 1e-6)
        expectClose(result.probabilities, logits.softmax(), rtol: 1e-6, atol: 1e-7)
        // gradLogits = (softmax − onehot)/m, written out.
        var expected = logits.softmax()
        for (i, label) in labels.enumerated() { expected[i, Int(label)] -= 1 }
        expectClose(result.gradLogits, Tensor(expected.scalars.map { $0 / 6 }).reshapedUnchecked([6, 5]), rtol: 1e-5, atol: 1e-7)
    }

    @Test func sparseGradientMatchesFiniteDifferences() throws {
        let logits = randomTensor([4, 7], seed: 101, low: -3, high: 3)
        let labels: [Int32] = [6, 0, 3, 3]
        let analytic = try softmaxCrossEntropy(logits: logits, labels: labels).gradLogits.scalars
        let numeric = try KernelTestSupport.centralDifferences(logits, h: 1e-2) {
            Double(try softmaxCrossEntropy(logits: $0, labels: labels).meanLoss)
        }
        for i in 0..<numeric.count { #expect(abs(Double(analytic[i]) - numeric[i]) <= lossGradientTolerance, "element \(i)") }
    }

    @Test func denseGradientMatchesFiniteDifferences() throws {
        let logits = randomTensor([3, 5], seed: 111, low: -3, high: 3)
        // Soft targets (rows of a softmax) and one row that does not sum to 1.
        var targets = randomTensor([3, 5], seed: 112, low: -2, high: 2).softmax()
        targets[2, 0] += 0.5
        let analytic = try softmaxCrossEntropy(logits: logits, targets: targets).gradLogits.scalars
        let numeric = try KernelTestSupport.centralDifferences(logits, h: 1e-2) {
            Double(try softmaxCrossEntropy(logits: $0, targets: targets).meanLoss)
        }
        for i in 0..<numeric.count { #expect(abs(Double(analytic[i]) - numeric[i]) <= lossGradientTolerance, "element \(i)") }
    }

    @Test func oneHotTargetsMatchLabels() throws {
        let logits = randomTensor([4, 3], seed: 121, low: -2, high: 2)
        let labels: [Int32] = [2, 0, 1, 2]
        var oneHot = Tensor<Float>(zeros: [4, 3])
        for (i, l) in labels.enumerated() { oneHot[i, Int(l)] = 1 }
        let sparse = try softmaxCrossEntropy(logits: logits, labels: labels)
        let dense = try softmaxCrossEntropy(logits: logits, targets: oneHot)
        expectClose(dense.meanLoss, sparse.meanLoss, rtol: 1e-6)
        expectClose(dense.gradLogits, sparse.gradLogits, rtol: 1e-6, atol: 1e-8)
    }

    @Test func largeLogitsGiveFiniteLoss() throws {
        let logits = try Tensor<Float>(shape: [2, 3], scalars: [1000, 0, -1000, -1000, 1000, 1000])
        let result = try softmaxCrossEntropy(logits: logits, labels: [1, 0])
        // Row 0: −log softmax = 1000 − 0 = 1000; row 1: 2000 + log 2.
        expectClose(result.meanLoss, (1000 + 2000 + Float.log(2)) / 2, rtol: 1e-6)
        #expect(result.gradLogits.scalars.allSatisfy { $0.isFinite })
        #expect(result.probabilities.scalars.allSatisfy { $0.isFinite })
        let confident = try softmaxCrossEntropy(logits: logits, labels: [0, 1])
        expectClose(confident.meanLoss, Float.log(2) / 2, rtol: 1e-6)
        let dense = try softmaxCrossEntropy(logits: logits, targets: Tensor(repeating: 1.0 / 3, shape: [2, 3]))
        #expect(dense.meanLoss.isFinite)
    }

    @Test func rejectsBadLabelsAndShapes() throws {
        let logits = Tensor<Float>(zeros: [2, 3])
        #expect(throws: TensorError.invalidArgument(op: "softmaxCrossEntropy", reason: "label 3 at row 1 is outside 0..<3")) {
            try softmaxCrossEntropy(logits: logits, labels: [0, 3])
        }
        #expect(throws: TensorError.invalidArgument(op: "softmaxCrossEntropy", reason: "label -1 at row 0 is outside 0..<3")) {
            try softmaxCrossEntropy(logits: logits, labels: [-1, 0])
        }
        #expect(throws: TensorError.countMismatch(op: "softmaxCrossEntropy labels", expected: 2, actual: 1)) {
            try softmaxCrossEntropy(logits: logits, labels: [0])
        }
        #expect(throws: TensorError.self) { try softmaxCrossEntropy(logits: Tensor<Float>(zeros: [6]), labels: [0]) }
        #expect(throws: TensorError.self) { try softmaxCrossEntropy(logits: Tensor<Float>(zeros: [0, 3]), labels: []) }
        #expect(throws: TensorError.shapeMismatch(op: "softmaxCrossEntropy targets", expected: [2, 3], actual: [3, 2])) {
            try softmaxCrossEntropy(logits: logits, targets: Tensor(zeros: [3, 2]))
        }
    }
}

private extension Tensor where Scalar == Float {
    func reshapedUnchecked(_ shape: Shape) -> Tensor { (try? reshaped(shape)) ?? self }
}
