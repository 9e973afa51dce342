import Testing
import TernTensor
import TernTesting
@testable import TernNN

/// Three steps of each optimizer on one weight (w = 1, gradients 0.5, -0.2,
/// 0.1). Expected values were computed in float64 Python from the Keras 3
/// update formulas written in each optimizer's doc comment.
@Suite struct OptimizerTests {
    static let gradients: [Float] = [0.5, -0.2, 0.1]

    func run(_ optimizer: some Optimizer, steps: Int = 3) -> [Float] {
        var optimizer = optimizer
        var parameters = [Parameter(name: "w", value: Tensor([1])), Parameter(name: "frozen", value: Tensor([1]), trainable: false)]
        var out: [Float] = []
        for g in Self.gradients.prefix(steps) {
            optimizer.update(parameters: &parameters, gradients: [Tensor([g]), Tensor([g])])
            out.append(parameters[0].value[flat: 0])
        }
        #expect(parameters[1].value[flat: 0] == 1, "non-trainable parameters must not move")
        return out
    }

    @Test func adamMatchesKerasFormula() {
        let w = run(Adam())
        for (a, e) in zip(w, [0.9990000063245154, 0.9986544025069336, 0.9982750129145032] as [Float]) { expectClose(a, e, rtol: 0, atol: 2e-7) }
    }

    @Test func adamWDecaysWeights() {
        var c = Adam.Configuration()
        c.weightDecay = 0.004
        let w = run(Adam(c))
        for (a, e) in zip(w, [0.9989960063245154, 0.9986464065229083, 0.9982630223448518] as [Float]) { expectClose(a, e, rtol: 0, atol: 2e-7) }
    }

    @Test func sgdPlainMomentumAndNesterov() {
        for (a, e) in zip(run(SGD()), [0.995, 0.997, 0.996] as [Float]) { expectClose(a, e, rtol: 0, atol: 1e-7) }
        var c = SGD.Configuration()
        c.learningRate = .constant(0.1)
        c.momentum = 0.9
        for (a, e) in zip(run(SGD(c)), [0.95, 0.925, 0.8925] as [Float]) { expectClose(a, e, rtol: 0, atol: 1e-6) }
        c.nesterov = true
        for (a, e) in zip(run(SGD(c)), [0.905, 0.9025, 0.86325] as [Float]) { expectClose(a, e, rtol: 0, atol: 1e-6) }
    }

    @Test func rmspropMatchesKerasFormula() {
        let w = run(RMSprop())
        for (a, e) in zip(w, [0.9968377286643679, 0.9980663165799476, 0.9974319563766294] as [Float]) { expectClose(a, e, rtol: 0, atol: 2e-7) }
    }

    @Test func adamVectorAndScalarPathsAgree() {
        // 37 elements: two 16-lane blocks and a scalar tail.
        let g = randomTensor([37], seed: 3)
        var parameters = [Parameter(name: "w", value: randomTensor([37], seed: 4))]
        var adam = Adam()
        adam.update(parameters: &parameters, gradients: [g])
        let start = randomTensor([37], seed: 4).scalars
        for i in 0..<37 {
            // First Adam step moves each weight by lr * g / (|g| + eps') ≈ 0.001 * sign(g).
            let expected = start[i] - 0.001 * (g[flat: i] > 0 ? 1 : -1)
            expectClose(parameters[0].value[flat: i], expected, rtol: 0, atol: 1e-5, "w[\(i)]")
        }
    }

    @Test func learningRateSchedules() {
        expectClose(LearningRate.step(initial: 0.1, decaySteps: 10, decayRate: 0.5).value(at: 25), 0.025)
        expectClose(LearningRate.exponential(initial: 0.1, decaySteps: 10, decayRate: 0.5).value(at: 5), 0.1 * 0.70710678)
        expectClose(LearningRate.cosine(initial: 0.1, decaySteps: 100, alpha: 0).value(at: 50), 0.05)
        expectClose(LearningRate.cosine(initial: 0.1, decaySteps: 100, alpha: 0.1).value(at: 1000), 0.01)
    }
}
