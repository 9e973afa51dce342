import RealModule
import Testing
import TernTensor
import TernTesting

/// Finite-difference checks of the activations use central differences with
/// h = 1e-3 on the Float kernels, differences taken in Double. Error budget:
/// truncation h²/6·|f'''| ≲ 2e-7, plus Float rounding of f(x ± h)
/// (≲ 2 ulp ≈ 2.4e-7·|f|) divided by 2h ≈ 1.2e-4·|f|. Hence atol 2e-4 and
/// rtol 1e-3 (inputs within ±3 so |f| ≤ 3).
private let activationGradientAtol = 2e-4
private let activationGradientRtol = 1e-3

private func apply(_ a: Activation, _ values: [Float]) -> [Float] {
    a.forward(Tensor(values)).scalars
}

/// Inputs in [-3, 3] kept at least 0.01 away from 0 (the kinks of relu and
/// leaky relu), 37 of them so the vector tail is exercised.
private func smoothInputs(seed: UInt64, count: Int = 37) -> Tensor<Float> {
    var x = randomTensor([count], seed: seed, low: -3, high: 3)
    x.withUnsafeMutableBufferPointer { b in
        for i in b.indices where abs(b[i]) < 0.01 { b[i] += b[i] < 0 ? -0.01 : 0.01 }
    }
    return x
}

@Suite struct ActivationTests {
    @Test func knownValues() {
        #expect(apply(.relu, [-1, 0, 2.5]) == [0, 0, 2.5])
        #expect(apply(.linear, [-1, 0, 2.5]) == [-1, 0, 2.5])
        // Keras 3: keras.activations.leaky_relu(x, negative_slope=0.2).
        expectClose(Tensor(apply(.leakyRelu, [-1, 0, 3])), Tensor([-0.2, 0, 3]))
        // sigmoid(0) = 1/2 exactly; sigmoid(100) rounds to 1 and sigmoid(-100)
        // = e^-100/(1 + e^-100) ≈ 3.72e-44 (a subnormal), without NaN.
        let s = apply(.sigmoid, [0, 100, -100])
        #expect(s[0] == 0.5 && s[1] == 1)
        #expect(s[2] > 3.5e-44 && s[2] < 3.9e-44)
        // tanh(1) = (e² − 1)/(e² + 1) = 0.7615941559...
        expectClose(Tensor(apply(.tanh, [0, 1, -1, 50])), Tensor([0, 0.761_594_16, -0.761_594_16, 1]), rtol: 3e-7)
        // gelu(x) = x/2·(1 + erf(x/√2)); erf(1/√2) = 0.6826894921 (the 1-σ
        // probability of the normal distribution), so gelu(1) = 0.8413447460.
        expectClose(Tensor(apply(.gelu, [1, -1, 0])), Tensor([0.841_344_746, -0.158_655_254, 0]), rtol: 3e-7)
        // softmax([0, ln 3]) = [1/4, 3/4].
        expectClose(Tensor(apply(.softmax, [0, Float.log(3)])), Tensor([0.25, 0.75]), rtol: 3e-7)
    }

    @Test func rawValuesMatchKerasNames() throws {
        #expect(Activation.allCases.map(\.rawValue) == ["linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "leaky_relu"])
        #expect(Activation(rawValue: "leaky_relu") == .leakyRelu)
        #expect(Activation.leakyReluAlpha == 0.2)
        #expect(Activation.allCases.filter(\.backwardNeedsInput) == [.gelu])
    }

    @Test func vectorExpMatchesScalarExp() {
        // Every 1/64 from -103 to 88.7, and the special values.
        var worst: Float = 0
        var x: Float = -103
        while x < 88.7 {
            let v = vectorExp(FloatVector(repeating: x))[0]
            let e = Float.exp(x)
            if e >= Float.leastNormalMagnitude { worst = max(worst, abs(v - e) / e) }
            else { #expect(abs(v - e) <= 2 * Float.leastNonzeroMagnitude, "\(x)") }
            x += 1.0 / 64
        }
        #expect(worst <= 3e-7, "largest relative error \(worst)")
        var lanes = FloatVector(repeating: 0)
        lanes[0] = -.infinity; lanes[1] = .nan; lanes[2] = 89; lanes[3] = -200
        let r = vectorExp(lanes)
        #expect(r[0] == 0 && r[1].isNaN && r[2] == .infinity && r[3] == 0 && r[4] == 1)
    }

    @Test(arguments: [Activation.sigmoid, .tanh, .gelu])
    func smoothActivationsMatchScalarReference(_ a: Activation) {
        let xs = stride(from: Float(-12), through: 12, by: 0.01).map { $0 }
        let ys = apply(a, xs)
        for (x, y) in zip(xs, ys) {
            let d = Double(x)
            let expected: Double
            switch a {
            case .sigmoid: expected = 1 / (1 + Double.exp(-d))
            case .tanh: expected = Double.tanh(d)
            default: expected = 0.5 * d * Double.erfc(-d / 2.0.squareRoot())
            }
            // Within 4 ulp of the Double result (sigmoid's and gelu's tiny
            // negative tails only to an absolute 1e-12).
            #expect(abs(Double(y) - expected) <= 4.8e-7 * abs(expected) + 1e-12, "\(a)(\(x)) = \(y), expected \(expected)")
        }
    }

    @Test func resultDoesNotDependOnPositionInBuffer() {
        // The tail (count not a multiple of 16) goes through the same code.
        for a in Activation.allCases where a != .softmax {
            let xs = (0..<35).map { Float($0) * 0.173 - 3 }
            let whole = apply(a, xs)
            for (i, x) in xs.enumerated() { #expect(apply(a, [x])[0] == whole[i], "\(a) at \(i)") }
        }
    }

    @Test(arguments: Activation.allCases.filter { $0 != .softmax })
    func elementwiseBackwardMatchesFiniteDifferences(_ a: Activation) throws {
        let x = smoothInputs(seed: 41)
        let y = a.forward(x)
        let dy = randomTensor(x.shape, seed: 42)
        let analytic = try a.backward(output: y, input: x, gradient: dy).scalars
        let numeric = KernelTestSupport.centralDifferences(x, h: 1e-3) { KernelTestSupport.weightedSum(a.forward($0), dy) }
        for i in 0..<x.count {
            let e = numeric[i]
            #expect(abs(Double(analytic[i]) - e) <= activationGradientAtol + activationGradientRtol * abs(e),
                    "\(a) at x = \(x[flat: i]): \(analytic[i]) vs \(e)")
        }
    }

    @Test func softmaxRowsSumToOneAndSurviveLargeLogits() throws {
        let x = try Tensor<Float>(shape: [3, 4], scalars: [1000, 0, -1000, 999, 1, 2, 3, 4, -5, -5, -5, -5])
        let y = x.softmax()
        for r in 0..<3 {
            let row = (0..<4).map { y[r, $0] }
            #expect(row.allSatisfy { $0.isFinite && $0 >= 0 })
            expectClose(row.reduce(0, +), 1, rtol: 1e-6)
        }
        expectClose(y[0, 0], 1 / (1 + Float.exp(-1)), rtol: 1e-6)
        #expect(y[2, 0] == 0.25)
        // Shift invariance: adding 100 to a row changes nothing (beyond rounding).
        let shifted = try Tensor<Float>(shape: [1, 4], scalars: [101, 102, 103, 104]).softmax()
        expectClose(shifted, try Tensor(shape: [1, 4], scalars: (4..<8).map { y[flat: $0] }), rtol: 1e-5)
    }

    @Test func logSoftmaxIsLogOfSoftmax() throws {
        let x = randomTensor([5, 19], seed: 51, low: -6, high: 6)
        let logY = x.logSoftmax()
        let composed = Tensor(x.softmax().scalars.map { Float.log($0) })
        expectClose(try composed.reshaped([5, 19]), logY, rtol: 1e-5, atol: 2e-6)
        // Large logits: finite, and the winner's log-probability is ~0.
        let big = try Tensor<Float>(shape: [1, 3], scalars: [1000, 0, -1000]).logSoftmax()
        #expect(big.scalars == [0, -1000, -2000])
    }

    @Test func softmaxBackwardMatchesFiniteDifferences() throws {
        let x = randomTensor([3, 7], seed: 61, low: -3, high: 3)
        let dy = randomTensor(x.shape, seed: 62)
        let analytic = try Activation.softmax.backward(output: x.softmax(), input: x, gradient: dy).scalars
        let numeric = KernelTestSupport.centralDifferences(x, h: 1e-3) { KernelTestSupport.weightedSum($0.softmax(), dy) }
        for i in 0..<x.count { #expect(abs(Double(analytic[i]) - numeric[i]) <= activationGradientAtol, "element \(i)") }
    }

    @Test func logSoftmaxBackwardMatchesFiniteDifferences() throws {
        let x = randomTensor([3, 7], seed: 71, low: -3, high: 3)
        let dy = randomTensor(x.shape, seed: 72)
        var dx = dy
        let y = x.logSoftmax()
        y.withUnsafeBufferPointer { yb in
            dx.withUnsafeMutableBufferPointer { ActivationKernels.logSoftmaxRowsBackward(output: yb, gradient: $0, rowLength: 7) }
        }
        let numeric = KernelTestSupport.centralDifferences(x, h: 1e-3) { KernelTestSupport.weightedSum($0.logSoftmax(), dy) }
        for i in 0..<x.count {
            #expect(abs(Double(dx[flat: i]) - numeric[i]) <= activationGradientAtol + activationGradientRtol * abs(numeric[i]))
        }
    }

    @Test func backwardRejectsMismatchedShapes() {
        let a = Tensor<Float>(zeros: [2, 3]), b = Tensor<Float>(zeros: [3, 2])
        #expect(throws: TensorError.shapeMismatch(op: "Activation.relu.backward", expected: [2, 3], actual: [3, 2])) {
            try Activation.relu.backward(output: b, input: a, gradient: a)
        }
        #expect(throws: TensorError.self) { try Activation.gelu.backward(output: a, input: b, gradient: a) }
    }
}
