import Testing
import TernTensor
import TernTesting

/// One convolution configuration: (batch, inH, inW, inC, kH, kW, outC, sh, sw, padding).
struct ConvCase: Sendable, CustomTestStringConvertible {
    var batch, inH, inW, inC, kH, kW, outC, sh, sw: Int
    var padding: Padding
    var testDescription: String {
        "b\(batch) \(inH)x\(inW)x\(inC) k\(kH)x\(kW)->\(outC) s\(sh),\(sw) \(padding.rawValue)"
    }
    func geometry() throws -> Conv2DGeometry {
        try Conv2DGeometry(batch: batch, inH: inH, inW: inW, inC: inC, kH: kH, kW: kW, outC: outC,
                           strideH: sh, strideW: sw, padding: padding)
    }
}

let convCases: [ConvCase] = [
    ConvCase(batch: 1, inH: 5, inW: 5, inC: 1, kH: 3, kW: 3, outC: 1, sh: 1, sw: 1, padding: .valid),
    ConvCase(batch: 1, inH: 5, inW: 5, inC: 1, kH: 3, kW: 3, outC: 1, sh: 1, sw: 1, padding: .same),
    ConvCase(batch: 2, inH: 7, inW: 6, inC: 3, kH: 3, kW: 2, outC: 4, sh: 2, sw: 2, padding: .valid),
    ConvCase(batch: 2, inH: 7, inW: 6, inC: 3, kH: 3, kW: 2, outC: 4, sh: 2, sw: 2, padding: .same),
    ConvCase(batch: 3, inH: 4, inW: 9, inC: 5, kH: 1, kW: 1, outC: 3, sh: 1, sw: 1, padding: .valid),
    ConvCase(batch: 1, inH: 9, inW: 4, inC: 2, kH: 1, kW: 1, outC: 3, sh: 2, sw: 3, padding: .same),
    ConvCase(batch: 2, inH: 8, inW: 8, inC: 2, kH: 4, kW: 4, outC: 5, sh: 2, sw: 1, padding: .same),
    ConvCase(batch: 1, inH: 3, inW: 11, inC: 17, kH: 3, kW: 5, outC: 2, sh: 1, sw: 2, padding: .same),
    ConvCase(batch: 1, inH: 2, inW: 3, inC: 1, kH: 5, kW: 5, outC: 1, sh: 1, sw: 1, padding: .same),
    ConvCase(batch: 2, inH: 6, inW: 6, inC: 3, kH: 6, kW: 6, outC: 2, sh: 1, sw: 1, padding: .valid),
    ConvCase(batch: 1, inH: 10, inW: 7, inC: 3, kH: 3, kW: 3, outC: 8, sh: 3, sw: 3, padding: .valid),
]

@Suite struct ConvolutionTests {
    @Test(arguments: convCases)
    func im2colTimesKernelEqualsNaiveConvolution(_ c: ConvCase) throws {
        let g = try c.geometry()
        let x = randomTensor(g.inputShape, seed: 1)
        let w = randomTensor(g.kernelShape, seed: 2)
        let bias = randomTensor([g.outC], seed: 3)
        let expected = try conv2dNaive(input: x, kernel: w, bias: bias, geometry: g)

        let cols = try im2col(x, geometry: g)
        #expect(cols.shape == [g.batch * g.outH * g.outW, g.kH * g.kW * g.inC])
        var product = KernelTestSupport.naiveMatmul(cols, try w.reshaped([g.colsColumns, g.outC]))
        try addBiasRows(&product, bias: bias)
        expectClose(try product.reshaped(g.outputShape), expected, rtol: 1e-5, atol: 1e-5, "conv via im2col")
    }

    @Test(arguments: convCases)
    func col2imIsTheAdjointOfIm2col(_ c: ConvCase) throws {
        // <im2col(x), y> = <x, col2im(y)> for random x and y (both sides in Double).
        let g = try c.geometry()
        let x = randomTensor(g.inputShape, seed: 4)
        let y = randomTensor([g.colsRows, g.colsColumns], seed: 5)
        let lhs = KernelTestSupport.dot(try im2col(x, geometry: g), y)
        let rhs = KernelTestSupport.dot(x, try col2im(y, geometry: g))
        #expect(abs(lhs - rhs) <= 1e-5 * max(1, abs(lhs)), "\(lhs) vs \(rhs)")
    }

    @Test(arguments: [convCases[3], convCases[5], convCases[8]])
    func im2colBackwardMatchesFiniteDifferencesOfNaiveConvolution(_ c: ConvCase) throws {
        // Loss = Σ w ⊙ conv(x, K, b). Through im2col: dK = colsᵀ·w, db = column
        // sums of w, dx = col2im(w·Kᵀ). The convolution is linear in each
        // argument, so central differences (h = 1e-2) are exact up to the Float
        // rounding of the outputs: tolerance 1e-3 absolute.
        let g = try c.geometry()
        let x = randomTensor(g.inputShape, seed: 6), k = randomTensor(g.kernelShape, seed: 7), b = randomTensor([g.outC], seed: 8)
        let w = randomTensor(g.outputShape, seed: 9)
        let dOut = try w.reshaped([g.colsRows, g.outC])
        let cols = try im2col(x, geometry: g)
        let kMatrix = try k.reshaped([g.colsColumns, g.outC])
        let dK = KernelTestSupport.naiveMatmul(KernelTestSupport.transpose(cols), dOut)
        let db = try columnSums(dOut)
        let dx = try col2im(KernelTestSupport.naiveMatmul(dOut, KernelTestSupport.transpose(kMatrix)), geometry: g)

        let loss = { (x: Tensor<Float>, k: Tensor<Float>, b: Tensor<Float>) throws -> Double in
            KernelTestSupport.weightedSum(try conv2dNaive(input: x, kernel: k, bias: b, geometry: g), w)
        }
        let checks: [(String, [Float], [Double])] = [
            ("dx", dx.scalars, try KernelTestSupport.centralDifferences(x, h: 1e-2) { try loss($0, k, b) }),
            ("dK", dK.scalars, try KernelTestSupport.centralDifferences(k, h: 1e-2) { try loss(x, $0, b) }),
            ("db", db.scalars, try KernelTestSupport.centralDifferences(b, h: 1e-2) { try loss(x, k, $0) }),
        ]
        for (name, analytic, numeric) in checks {
            for i in 0..<numeric.count {
                #expect(abs(Double(analytic[i]) - numeric[i]) <= 1e-3, "\(name)[\(i)]: \(analytic[i]) vs \(numeric[i])")
            }
        }
    }

    @Test func sameGeometryFollowsTensorFlow() throws {
        // out = ceil(in/stride), pad_total = max((out-1)*stride + k - in, 0), pad_top = pad_total/2.
        let a = try Conv2DGeometry(batch: 1, inH: 5, inW: 4, inC: 1, kH: 3, kW: 3, outC: 1, strideH: 2, strideW: 2, padding: .same)
        #expect((a.outH, a.padTop) == (3, 1))  // pad_total 2: one above, one below
        #expect((a.outW, a.padLeft) == (2, 0))  // pad_total 1: the extra column goes right
        let b = try Conv2DGeometry(batch: 1, inH: 6, inW: 6, inC: 1, kH: 1, kW: 1, outC: 1, strideH: 2, strideW: 2, padding: .same)
        #expect((b.outH, b.padTop, b.outW, b.padLeft) == (3, 0, 3, 0))
        let v = try Conv2DGeometry(batch: 1, inH: 7, inW: 7, inC: 1, kH: 3, kW: 3, outC: 1, strideH: 2, strideW: 3)
        #expect((v.outH, v.outW, v.padTop, v.padLeft) == (3, 2, 0, 0))
    }

    @Test func handComputedValidConvolution() throws {
        // 3x3 image 1...9, 2x2 kernel [[1, 0], [0, -1]]: out = x[i][j] - x[i+1][j+1] = -4 everywhere.
        let g = try Conv2DGeometry(input: [1, 3, 3, 1], kernel: [2, 2, 1, 1])
        let x = try Tensor<Float>(shape: [1, 3, 3, 1], scalars: (1...9).map(Float.init))
        let w = try Tensor<Float>(shape: [2, 2, 1, 1], scalars: [1, 0, 0, -1])
        let y = try conv2dNaive(input: x, kernel: w, bias: Tensor([0.5]), geometry: g)
        #expect(y.shape == [1, 2, 2, 1])
        #expect(y.scalars == [-3.5, -3.5, -3.5, -3.5])
    }

    @Test func im2colPadsWithZeros() throws {
        // 2x2 image, 3x3 kernel, same padding: the single patch of output (0, 0)
        // is the image in the bottom-right 2x2 of a 3x3 window.
        let g = try Conv2DGeometry(batch: 1, inH: 2, inW: 2, inC: 1, kH: 3, kW: 3, outC: 1, padding: .same)
        let cols = try im2col(try Tensor<Float>(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4]), geometry: g)
        #expect(cols.shape == [4, 9])
        #expect(Array(cols.scalars[0..<9]) == [0, 0, 0, 0, 1, 2, 0, 3, 4])
        #expect(Array(cols.scalars[27..<36]) == [1, 2, 0, 3, 4, 0, 0, 0, 0])
    }

    @Test func col2imAccumulateAddsToExistingValues() throws {
        let g = try Conv2DGeometry(batch: 1, inH: 3, inW: 3, inC: 1, kH: 2, kW: 2, outC: 1)
        let ones = Tensor<Float>(repeating: 1, shape: [g.colsRows, g.colsColumns])
        // Each pixel's count of covering 2x2 windows, plus the 10 already there.
        var dInput = [Float](repeating: 10, count: 9)
        ones.withUnsafeBufferPointer { c in
            dInput.withUnsafeMutableBufferPointer { d in
                col2imAccumulate(cols: c.baseAddress!, geometry: g, into: d.baseAddress!)
            }
        }
        #expect(dInput == [11, 12, 11, 12, 14, 12, 11, 12, 11])
    }

    @Test func rejectsBadGeometry() throws {
        #expect(throws: TensorError.invalidArgument(
            op: "Conv2DGeometry", reason: "kernel height 4 is larger than the padded input height 3 (padding valid)")) {
            try Conv2DGeometry(batch: 1, inH: 3, inW: 3, inC: 1, kH: 4, kW: 2, outC: 1)
        }
        #expect(throws: TensorError.invalidArgument(
            op: "Conv2DGeometry", reason: "kernel width 9 is larger than the padded input width 8 (padding valid)")) {
            try Conv2DGeometry(batch: 1, inH: 8, inW: 8, inC: 1, kH: 2, kW: 9, outC: 1)
        }
        #expect(throws: TensorError.invalidArgument(op: "Conv2DGeometry", reason: "stride width must be positive, got 0")) {
            try Conv2DGeometry(batch: 1, inH: 8, inW: 8, inC: 1, kH: 2, kW: 2, outC: 1, strideW: 0)
        }
        #expect(throws: TensorError.self) {
            try Conv2DGeometry(batch: 1, inH: 1 << 20, inW: 1 << 20, inC: 8, kH: 1, kW: 1, outC: 1)
        }
        #expect(throws: TensorError.shapeMismatch(op: "conv2d kernel", expected: [3, 3, 2, 4], actual: [3, 3, 1, 4])) {
            try Conv2DGeometry(input: [1, 5, 5, 2], kernel: [3, 3, 1, 4])
        }
        #expect(throws: TensorError.self) { try Conv2DGeometry(input: [5, 5, 2], kernel: [3, 3, 2, 4]) }
        // With `same` padding a kernel larger than the image is fine.
        #expect(try Conv2DGeometry(batch: 1, inH: 2, inW: 2, inC: 1, kH: 5, kW: 5, outC: 1, padding: .same).outH == 2)
    }

    @Test func rejectsTensorsThatDisagreeWithTheGeometry() throws {
        let g = try Conv2DGeometry(batch: 1, inH: 4, inW: 4, inC: 2, kH: 3, kW: 3, outC: 2)
        let x = Tensor<Float>(zeros: [1, 4, 4, 2]), w = Tensor<Float>(zeros: [3, 3, 2, 2])
        #expect(throws: TensorError.shapeMismatch(op: "im2col", expected: [1, 4, 4, 2], actual: [1, 4, 4, 3])) {
            try im2col(Tensor<Float>(zeros: [1, 4, 4, 3]), geometry: g)
        }
        #expect(throws: TensorError.self) { try col2im(Tensor<Float>(zeros: [4, 17]), geometry: g) }
        #expect(throws: TensorError.self) { try conv2dNaive(input: x, kernel: Tensor(zeros: [3, 3, 2, 3]), bias: nil, geometry: g) }
        #expect(throws: TensorError.self) { try conv2dNaive(input: x, kernel: w, bias: Tensor(zeros: [3]), geometry: g) }
        #expect(try conv2dNaive(input: x, kernel: w, bias: nil, geometry: g).shape == [1, 2, 2, 2])
    }
}
