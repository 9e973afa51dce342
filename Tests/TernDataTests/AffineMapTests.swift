import Testing
import TernData
import TernTensor
import TernTesting

/// Exact geometry of the warps on tiny hand-made images.
@Suite struct AffineMapTests {
    /// A `height`×`width` image, zero but for `lit` pixels (x, y) set to 1.
    func image(_ height: Int, _ width: Int, lit: [(Int, Int)]) -> [Float] {
        var out = [Float](repeating: 0, count: height * width)
        for (x, y) in lit { out[y * width + x] = 1 }
        return out
    }

    func expectNear(_ actual: [Float], _ expected: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(Tensor(actual), Tensor(expected), rtol: 0, atol: 1e-5, sourceLocation: sourceLocation)
    }

    @Test func shiftByOnePixelMovesTheLitPixel() {
        let src = image(4, 4, lit: [(1, 1)])
        expectNear(AffineMap.translation(dx: 1, dy: 0).warp(src, height: 4, width: 4), image(4, 4, lit: [(2, 1)]))
        expectNear(AffineMap.translation(dx: 0, dy: 1).warp(src, height: 4, width: 4), image(4, 4, lit: [(1, 2)]))
        expectNear(AffineMap.translation(dx: -1, dy: -1).warp(src, height: 4, width: 4), image(4, 4, lit: [(0, 0)]))
    }

    @Test func contentLeavingTheImageIsReplacedByZeros() {
        let src = [Float](repeating: 1, count: 9)
        // Shifted right by one: the left column comes from outside the image.
        let out = AffineMap.translation(dx: 1, dy: 0).warp(src, height: 3, width: 3)
        expectNear(out, [0, 1, 1, 0, 1, 1, 0, 1, 1])
        expectNear(AffineMap.translation(dx: 3, dy: 0).warp(src, height: 3, width: 3), [Float](repeating: 0, count: 9))
    }

    @Test func halfPixelShiftInterpolatesBilinearly() {
        let out = AffineMap.translation(dx: 0.5, dy: 0).warp(image(1, 4, lit: [(1, 0)]), height: 1, width: 4)
        expectNear(out, [0, 0.5, 0.5, 0])
    }

    @Test func rotationBy90DegreesTurnsCounterClockwise() {
        let src: [Float] = [1, 2, 3,
                            4, 5, 6,
                            7, 8, 9]
        // numpy.rot90: the top row becomes the left column, read bottom-up.
        expectNear(AffineMap.rotation(degrees: 90, height: 3, width: 3).warp(src, height: 3, width: 3),
                   [3, 6, 9,
                    2, 5, 8,
                    1, 4, 7])
        expectNear(AffineMap.rotation(degrees: -90, height: 3, width: 3).warp(src, height: 3, width: 3),
                   [7, 4, 1,
                    8, 5, 2,
                    9, 6, 3])
    }

    @Test func rotationMapsCornersOfAnEvenImage() {
        // About the centre (1.5, 1.5): top-left → bottom-left → bottom-right → top-right → top-left.
        let turn = AffineMap.rotation(degrees: 90, height: 4, width: 4)
        expectNear(turn.warp(image(4, 4, lit: [(0, 0)]), height: 4, width: 4), image(4, 4, lit: [(0, 3)]))
        expectNear(turn.warp(image(4, 4, lit: [(0, 3)]), height: 4, width: 4), image(4, 4, lit: [(3, 3)]))
        expectNear(turn.warp(image(4, 4, lit: [(3, 3)]), height: 4, width: 4), image(4, 4, lit: [(3, 0)]))
        let half = AffineMap.rotation(degrees: 180, height: 4, width: 4)
        expectNear(half.warp(image(4, 4, lit: [(1, 0)]), height: 4, width: 4), image(4, 4, lit: [(2, 3)]))
    }

    @Test func zoomTwiceSpreadsACentredPixel() {
        // Output (x, y) samples the input at 2 + (x - 2)/2: the lit centre
        // pixel covers the 3×3 block around it with bilinear weights.
        let out = AffineMap.zoom(2, height: 5, width: 5).warp(image(5, 5, lit: [(2, 2)]), height: 5, width: 5)
        expectNear(out, [0, 0, 0, 0, 0,
                         0, 0.25, 0.5, 0.25, 0,
                         0, 0.5, 1, 0.5, 0,
                         0, 0.25, 0.5, 0.25, 0,
                         0, 0, 0, 0, 0])
        // Zooming out by 2 pulls a corner halfway to the centre.
        let shrink = AffineMap.zoom(0.5, height: 5, width: 5)
        expectNear(shrink.warp(image(5, 5, lit: [(0, 0)]), height: 5, width: 5), image(5, 5, lit: [(1, 1)]))
    }

    @Test func flipsMirrorAndKeepChannelsTogether() {
        // A 2×3 image with 2 channels: (value, 10 × value).
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        let src = values.flatMap { [$0, 10 * $0] }
        let h = AffineMap.flip(horizontal: true, vertical: false, height: 2, width: 3)
        expectNear(h.warp(src, height: 2, width: 3, channels: 2), [3, 2, 1, 6, 5, 4].flatMap { [$0, 10 * $0] })
        let v = AffineMap.flip(horizontal: false, vertical: true, height: 2, width: 3)
        expectNear(v.warp(src, height: 2, width: 3, channels: 2), [4, 5, 6, 1, 2, 3].flatMap { [$0, 10 * $0] })
        #expect(AffineMap.flip(horizontal: false, vertical: false, height: 2, width: 3) == .identity)
    }

    @Test func composedMapEqualsSuccessiveWarps() throws {
        let src: [Float] = (0..<25).map { Float($0) }
        let shift = AffineMap.translation(dx: 1, dy: -1), turn = AffineMap.rotation(degrees: 90, height: 5, width: 5)
        let twice = turn.warp(shift.warp(src, height: 5, width: 5), height: 5, width: 5)
        expectNear(shift.then(turn).warp(src, height: 5, width: 5), twice)
        let inverse = try #require(shift.then(turn).inverse)
        let back = shift.then(turn).then(inverse)
        #expect(abs(back.a - 1) < 1e-12 && abs(back.b) < 1e-12 && abs(back.tx) < 1e-12 && abs(back.ty) < 1e-12)
        #expect(AffineMap.zoom(0, height: 5, width: 5).inverse == nil)
        expectNear(AffineMap.zoom(0, height: 5, width: 5).warp(src, height: 5, width: 5), [Float](repeating: 0, count: 25))
    }
}
