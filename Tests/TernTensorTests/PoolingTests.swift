import Testing
import TernTensor
import TernTesting

/// Finite-difference tolerance for pooling: both poolings are piecewise
/// linear, so central differences are exact up to Float rounding of the
/// outputs (about 1e-7 each, over a 2h = 2e-2 step); 1e-4 leaves a wide margin.
private let poolingGradientTolerance = 1e-4

@Suite struct PoolingTests {
    /// 4x4 single-channel image holding 1...16 row by row.
    let image = try! Tensor<Float>(shape: [1, 4, 4, 1], scalars: (1...16).map(Float.init))

    @Test func maxPoolHandExample() throws {
        let g = try Pool2DGeometry(input: image.shape, poolH: 2, poolW: 2)
        #expect((g.strideH, g.strideW) == (2, 2))  // strides default to the pool size
        let (y, argmax) = try maxPool2DForward(image, geometry: g)
        #expect(y.shape == [1, 2, 2, 1])
        #expect(y.scalars == [6, 8, 14, 16])
        #expect(argmax == [5, 7, 13, 15])
    }

    @Test func avgPoolHandExample() throws {
        let g = try Pool2DGeometry(input: image.shape, poolH: 2, poolW: 2)
        #expect(try avgPool2DForward(image, geometry: g).scalars == [3.5, 5.5, 11.5, 13.5])
        // 3x3 windows at stride 1: the means of 1 2 3 / 5 6 7 / 9 10 11 etc.
        let g3 = try Pool2DGeometry(input: image.shape, poolH: 3, poolW: 3, strideH: 1, strideW: 1)
        #expect(try avgPool2DForward(image, geometry: g3).scalars == [6, 7, 10, 11])
    }

    @Test func samePaddingIgnoresPaddedElements() throws {
        // 3x3 image 1...9, 2x2 pool, stride 2, same: out 2x2, pad_total 1 goes
        // below/right, so the windows are {1,2,4,5}, {3,6}, {7,8}, {9}.
        let x = try Tensor<Float>(shape: [1, 3, 3, 1], scalars: (1...9).map(Float.init))
        let g = try Pool2DGeometry(input: x.shape, poolH: 2, poolW: 2, padding: .same)
        #expect((g.outH, g.outW, g.padTop, g.padLeft) == (2, 2, 0, 0))
        #expect(try avgPool2DForward(x, geometry: g).scalars == [3, 4.5, 7.5, 9])
        let (y, argmax) = try maxPool2DForward(-x, geometry: g)
        #expect(y.scalars == [-1, -3, -7, -9])  // never the padding's zero
        #expect(argmax == [0, 2, 6, 8])
        // Average backward shares each gradient among the real elements only.
        let dx = try avgPool2DBackward(gradOutput: Tensor<Float>(repeating: 1, shape: [1, 2, 2, 1]), geometry: g)
        #expect(dx.scalars == [0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1])
    }

    @Test func firstMaximumWinsTies() throws {
        let x = Tensor<Float>(repeating: 3, shape: [1, 4, 4, 2])
        let g = try Pool2DGeometry(input: x.shape, poolH: 2, poolW: 2)
        let (_, argmax) = try maxPool2DForward(x, geometry: g)
        // Top-left element of each window, per channel: flat ((y*4)+x)*2 + c.
        #expect(argmax == [0, 1, 4, 5, 16, 17, 20, 21])
        let dx = try maxPool2DBackward(gradOutput: Tensor(repeating: 1, shape: [1, 2, 2, 2]), argmax: argmax, inputShape: x.shape)
        #expect(dx.scalars.reduce(0, +) == 8)
        #expect(dx[0, 0, 0, 0] == 1 && dx[0, 0, 1, 0] == 0)
    }

    @Test(arguments: [(Padding.valid, 2, 1), (.same, 2, 2), (.same, 3, 2), (.valid, 3, 2)])
    func maxPoolBackwardMatchesFiniteDifferences(_ padding: Padding, _ pool: Int, _ stride: Int) throws {
        // Distinct values 0.1 apart (a shuffled ramp), so a step of 1e-2 never changes a window's winner.
        let shape: Shape = [2, 5, 6, 3]
        var rng = SeededGenerator(seed: 11)
        let ramp = (0..<shape.count).map { Float($0) * 0.1 }.shuffled(using: &rng)
        let x = try Tensor<Float>(shape: shape, scalars: ramp)
        let g = try Pool2DGeometry(input: shape, poolH: pool, poolW: pool, strideH: stride, strideW: stride, padding: padding)
        let w = randomTensor(g.outputShape, seed: 12)
        let (_, argmax) = try maxPool2DForward(x, geometry: g)
        let analytic = try maxPool2DBackward(gradOutput: w, argmax: argmax, inputShape: shape).scalars
        let numeric = try KernelTestSupport.centralDifferences(x, h: 1e-2) {
            KernelTestSupport.weightedSum(try maxPool2DForward($0, geometry: g).output, w)
        }
        for i in 0..<numeric.count {
            #expect(abs(Double(analytic[i]) - numeric[i]) <= poolingGradientTolerance, "element \(i)")
        }
    }

    @Test(arguments: [(Padding.valid, 2, 1), (.same, 2, 2), (.same, 3, 2), (.valid, 3, 3)])
    func avgPoolBackwardMatchesFiniteDifferences(_ padding: Padding, _ pool: Int, _ stride: Int) throws {
        let x = randomTensor([2, 5, 7, 3], seed: 21)
        let g = try Pool2DGeometry(input: x.shape, poolH: pool, poolW: pool, strideH: stride, strideW: stride, padding: padding)
        let w = randomTensor(g.outputShape, seed: 22)
        let analytic = try avgPool2DBackward(gradOutput: w, geometry: g).scalars
        let numeric = try KernelTestSupport.centralDifferences(x, h: 1e-2) {
            KernelTestSupport.weightedSum(try avgPool2DForward($0, geometry: g), w)
        }
        for i in 0..<numeric.count {
            #expect(abs(Double(analytic[i]) - numeric[i]) <= poolingGradientTolerance, "element \(i)")
        }
    }

    @Test func batchesAndChannelsArePooledIndependently() throws {
        // Each (batch, channel) plane pooled alone must give the same numbers.
        let x = randomTensor([3, 6, 5, 4], seed: 31)
        let g = try Pool2DGeometry(input: x.shape, poolH: 3, poolW: 2, strideH: 2, strideW: 1, padding: .same)
        let (all, _) = try maxPool2DForward(x, geometry: g)
        let avg = try avgPool2DForward(x, geometry: g)
        for b in 0..<3 {
            for c in 0..<4 {
                var plane = Tensor<Float>(zeros: [1, 6, 5, 1])
                for i in 0..<6 { for j in 0..<5 { plane[0, i, j, 0] = x[b, i, j, c] } }
                let gp = try Pool2DGeometry(input: plane.shape, poolH: 3, poolW: 2, strideH: 2, strideW: 1, padding: .same)
                let (single, _) = try maxPool2DForward(plane, geometry: gp)
                let singleAvg = try avgPool2DForward(plane, geometry: gp)
                for i in 0..<g.outH {
                    for j in 0..<g.outW {
                        #expect(all[b, i, j, c] == single[0, i, j, 0])
                        #expect(avg[b, i, j, c] == singleAvg[0, i, j, 0])
                    }
                }
            }
        }
    }

    @Test func rejectsBadArguments() throws {
        #expect(throws: TensorError.invalidArgument(
            op: "Pool2DGeometry", reason: "pool height 5 is larger than the input height 4 (padding valid)")) {
            try Pool2DGeometry(input: [1, 4, 4, 1], poolH: 5, poolW: 2)
        }
        #expect(throws: TensorError.self) { try Pool2DGeometry(input: [1, 4, 4, 1], poolH: 0, poolW: 2) }
        #expect(throws: TensorError.self) { try Pool2DGeometry(input: [1, 4, 4, 1], poolH: 2, poolW: 2, strideH: -1) }
        #expect(throws: TensorError.self) { try Pool2DGeometry(input: [4, 4, 1], poolH: 2, poolW: 2) }
        let g = try Pool2DGeometry(input: [1, 4, 4, 1], poolH: 2, poolW: 2)
        #expect(throws: TensorError.shapeMismatch(op: "maxPool2DForward", expected: [1, 4, 4, 1], actual: [1, 4, 4, 2])) {
            try maxPool2DForward(Tensor(zeros: [1, 4, 4, 2]), geometry: g)
        }
        #expect(throws: TensorError.self) { try avgPool2DBackward(gradOutput: Tensor(zeros: [1, 3, 3, 1]), geometry: g) }
        #expect(throws: TensorError.countMismatch(op: "maxPool2DBackward", expected: 4, actual: 3)) {
            try maxPool2DBackward(gradOutput: Tensor(zeros: [1, 2, 2, 1]), argmax: [0, 1, 2], inputShape: [1, 4, 4, 1])
        }
        #expect(throws: TensorError.self) {
            try maxPool2DBackward(gradOutput: Tensor(zeros: [1, 2, 2, 1]), argmax: [0, 1, 2, 16], inputShape: [1, 4, 4, 1])
        }
    }
}

private prefix func - (x: Tensor<Float>) -> Tensor<Float> {
    var y = x
    y.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = -$0[i] } }
    return y
}
