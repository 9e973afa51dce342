import Testing
import TernTensor
import TernTesting

@Suite struct TensorTests {
    @Test func copyStaysUnchangedAfterOriginalIsMutated() {
        var original = Tensor<Float>([1, 2, 3])
        let copy = original
        #expect(copy.sharesStorage(with: original))
        original[flat: 0] = 42
        #expect(copy.scalars == [1, 2, 3])
        #expect(original.scalars == [42, 2, 3])
        #expect(!copy.sharesStorage(with: original))
    }

    @Test func uniquelyOwnedTensorIsWrittenInPlace() {
        var t = Tensor<Float>(zeros: [4])
        let before = t.withUnsafeBufferPointer { $0.baseAddress }
        t[flat: 1] = 1
        #expect(t.withUnsafeBufferPointer { $0.baseAddress } == before)
    }

    @Test func reshapeRejectsWrongCount() throws {
        let t = Tensor<Float>(zeros: [2, 3])
        #expect(throws: TensorError.countMismatch(op: "reshape to (4, 2)", expected: 6, actual: 8)) {
            try t.reshaped([4, 2])
        }
        #expect(try t.reshaped([3, 2]).shape == [3, 2])
    }

    @Test func initRejectsWrongScalarCount() {
        #expect(throws: TensorError.self) { try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3]) }
    }

    @Test func shapeValidationRejectsAbsurdDimensions() throws {
        #expect(throws: TensorError.self) { try Shape([1 << 40, 1 << 40]).validated() }
        #expect(throws: TensorError.self) { try Shape([-1, 3]).validated() }
        #expect(try Shape([10, 28, 28]).validated().count == 7840)
    }

    @Test func gatherAndSliceRows() throws {
        let t = try Tensor<Float>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.gatherRows([2, 0]).scalars == [5, 6, 1, 2])
        #expect(t.slice(rows: 1..<3).scalars == [3, 4, 5, 6])
    }

    @Test func seededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        var c = SeededGenerator(seed: 1)
        let u = (0..<10_000).map { _ in c.nextUnitFloat() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.reduce(0, +) / Float(u.count)
        #expect(abs(mean - 0.5) < 0.02)
    }
}

@Suite struct VectorMathTests {
    @Test func vectorSquareRootMatchesScalarSquareRoot() {
        var rng = SeededGenerator(seed: 3)
        for scale: Float in [1e-30, 1e-6, 1, 1e6, 1e30] {
            var x = FloatVector()
            for i in 0..<16 { x[i] = rng.nextUnitFloat() * scale }
            x[0] = 0
            let y = vectorSquareRoot(x)
            for i in 0..<16 {
                let expected = x[i].squareRoot()
                #expect(abs(y[i] - expected) <= 2 * expected.ulp, "sqrt(\(x[i])) = \(y[i]), expected \(expected)")
            }
        }
    }
}
