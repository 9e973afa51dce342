import Foundation
import Testing
import TernData
import TernTensor
import TernTesting

/// Random augmentation of batches: per-sample draws, seeds, shapes.
@Suite struct AugmentationTests {
    /// `n` copies of `image` as a batch shaped (n, sampleShape...).
    func batch(_ n: Int, of image: [Float], _ sampleShape: Shape) throws -> Tensor<Float> {
        try Tensor(shape: sampleShape.batched(n), scalars: (0..<n).flatMap { _ in image })
    }

    func samples(_ t: Tensor<Float>) -> [[Float]] {
        let size = t.shape.droppingFirst.count
        let all = t.scalars
        return (0..<t.shape[0]).map { Array(all[($0 * size)..<(($0 + 1) * size)]) }
    }

    func augmented(_ steps: [AugmentationStep], _ input: Tensor<Float>, seed: UInt64) throws -> Tensor<Float> {
        var out = input
        var rng = SeededGenerator(seed: seed)
        try Augmentation(steps).apply(to: &out, sampleShape: input.shape.droppingFirst, rng: &rng)
        return out
    }

    /// A 5×5 image with an asymmetric pattern.
    let pattern: [Float] = (0..<25).map { Float($0 % 7) }

    @Test func emptyAugmentationLeavesTheBatchAlone() throws {
        let x = try batch(3, of: pattern, [5, 5])
        #expect(try augmented([], x, seed: 1) == x)
        #expect(try augmented([.randomShift(maxPixels: 0), .randomRotation(degrees: 0), .gaussianNoise(stddev: 0)], x, seed: 1) == x)
    }

    @Test func eachSampleGetsItsOwnShift() throws {
        // A lit pixel in the middle of 9×9, shifted by up to 2 px: the mass
        // stays 1, its centroid moves by at most 2 px, and the copies differ.
        var image = [Float](repeating: 0, count: 81)
        image[4 * 9 + 4] = 1
        let out = samples(try augmented([.randomShift(maxPixels: 2)], try batch(32, of: image, [9, 9]), seed: 3))
        for s in out {
            let mass = s.reduce(0, +)
            expectClose(mass, 1, atol: 1e-5)
            let cx = s.indices.reduce(Float(0)) { $0 + s[$1] * Float($1 % 9) } / mass
            let cy = s.indices.reduce(Float(0)) { $0 + s[$1] * Float($1 / 9) } / mass
            #expect(abs(cx - 4) <= 2.0001 && abs(cy - 4) <= 2.0001)
        }
        #expect(Set(out.map { $0.map(\.bitPattern) }).count == 32)
    }

    @Test func rotationTurnsAboutTheCentre() throws {
        var image = [Float](repeating: 0, count: 25)
        image[12] = 1
        let x = try batch(8, of: image, [5, 5])
        // The centre maps to itself whatever the angle.
        for s in samples(try augmented([.randomRotation(degrees: 180)], x, seed: 5)) { expectClose(s[12], 1, atol: 1e-5) }
        // An off-centre pixel keeps its distance from the centre.
        var off = [Float](repeating: 0, count: 49)
        off[3 * 7 + 5] = 1
        let turned = samples(try augmented([.randomRotation(degrees: 30)], try batch(16, of: off, [7, 7]), seed: 5))
        for s in turned {
            let mass = s.reduce(0, +)
            let cx = s.indices.reduce(Float(0)) { $0 + s[$1] * Float($1 % 7) } / mass
            let cy = s.indices.reduce(Float(0)) { $0 + s[$1] * Float($1 / 7) } / mass
            let angle = atan2(Double(3 - cy), Double(cx - 3)) * 180 / .pi
            // The centroid of the interpolated pixel is within a few degrees of the true angle.
            #expect(abs(angle) <= 33, "rotated by \(angle)°")
        }
    }

    @Test func flipGivesTheImageOrItsMirror() throws {
        let mirror: [Float] = (0..<25).map { (i: Int) -> Float in
            let row = i / 5, column = i % 5
            return pattern[row * 5 + 4 - column]
        }
        let out = samples(try augmented([.randomFlip(horizontal: true, vertical: false)], try batch(64, of: pattern, [5, 5]), seed: 9))
        #expect(out.allSatisfy { $0 == pattern || $0 == mirror })
        let flipped = out.filter { $0 == mirror }.count
        #expect((16...48).contains(flipped), "\(flipped) of 64 flipped")
    }

    @Test func zoomStaysWithinItsFactor() throws {
        // A uniform 8×8 image: zooming in keeps it uniform, zooming out
        // brings zeros in from the border, never beyond 1 ± factor.
        let ones = [Float](repeating: 1, count: 64)
        let out = samples(try augmented([.randomZoom(factor: 0.5)], try batch(32, of: ones, [8, 8]), seed: 4))
        let uniform = out.filter { $0.allSatisfy { abs($0 - 1) < 1e-5 } }.count
        #expect(uniform > 0 && uniform < out.count, "\(uniform) of \(out.count) stayed uniform")
        for s in out { #expect(s.allSatisfy { $0 >= -1e-6 && $0 <= 1 + 1e-6 }) }
    }

    @Test func noiseHasTheRequestedStandardDeviation() throws {
        let out = try augmented([.gaussianNoise(stddev: 0.3)], Tensor(zeros: [100, 20, 20]), seed: 11).scalars
        let mean = out.reduce(0, +) / Float(out.count)
        let std = (out.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(out.count)).squareRoot()
        #expect(abs(mean) < 0.01, "mean \(mean)")
        expectClose(std, 0.3, rtol: 0.02, "standard deviation")
    }

    static let everything: [AugmentationStep] = [
        .randomShift(maxPixels: 2), .randomRotation(degrees: 15), .randomZoom(factor: 0.1),
        .randomFlip(horizontal: true, vertical: true), .gaussianNoise(stddev: 0.05),
    ]

    @Test func theSeedFixesTheResult() throws {
        let x = randomTensor([6, 5, 5], seed: 2, low: 0, high: 1)
        let a = try augmented(Self.everything, x, seed: 42), b = try augmented(Self.everything, x, seed: 42)
        #expect(a == b)
        #expect(a != x)
        #expect(try augmented(Self.everything, x, seed: 43) != a)
    }

    @Test func channelAxisIsOptionalAndChannelsMoveTogether() throws {
        let x = randomTensor([4, 6, 6], seed: 8, low: 0, high: 1)
        let geometric = Array(Self.everything.dropLast())
        let plain = try augmented(geometric, x, seed: 7)
        let withAxis = try augmented(geometric, x.reshaped([4, 6, 6, 1]), seed: 7)
        #expect(withAxis.shape == [4, 6, 6, 1])
        #expect(withAxis.scalars == plain.scalars)
        // Three channels (v, 2v, 3v) get the same transform.
        let rgb = try Tensor<Float>(shape: [4, 6, 6, 3], scalars: x.scalars.flatMap { [$0, 2 * $0, 3 * $0] })
        let out = try augmented(geometric, rgb, seed: 7).scalars
        for i in stride(from: 0, to: out.count, by: 3) {
            expectClose(out[i], plain.scalars[i / 3], atol: 1e-5)
            expectClose(out[i + 2], 3 * out[i], atol: 1e-5)
        }
    }

    @Test func shapesThatAreNotImagesAreRejected() throws {
        var flat = Tensor<Float>(zeros: [2, 784])
        var rng = SeededGenerator(seed: 0)
        let augmentation = Augmentation([.randomShift(maxPixels: 1)])
        #expect(throws: AugmentationError.unsupportedSampleShape([784])) {
            try augmentation.apply(to: &flat, sampleShape: [784], rng: &rng)
        }
        var images = Tensor<Float>(zeros: [2, 28, 28])
        #expect(throws: AugmentationError.batchShapeMismatch(sampleShape: [28, 28, 1], batch: [2, 28, 28])) {
            try augmentation.apply(to: &images, sampleShape: [28, 28, 1], rng: &rng)
        }
    }
}
