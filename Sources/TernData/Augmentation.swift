import TernTensor

/// Random image transforms applied on the fly to training batches, so each
/// epoch sees differently shifted, rotated, zoomed, flipped or noisy copies
/// of the images (Keras' `RandomTranslation`, `RandomRotation`,
/// `RandomZoom`, `RandomFlip` and `GaussianNoise` layers).
///
/// Samples are images shaped `(height, width)` or `(height, width,
/// channels)` (channels last). Every sample draws its own parameters from
/// the generator, so a seed fixes the result. Consecutive geometric steps
/// are composed into one ``AffineMap`` per sample and warped in one pass
/// (bilinear interpolation, zero fill); `gaussian_noise` is added where it
/// stands in the list, after the geometric steps before it.
///
/// In a model spec, augmentation runs on the network's input, after the
/// preprocessing (e.g. `rescale`), so `gaussian_noise`'s `stddev` is on the
/// rescaled scale; it only ever touches training batches, never
/// validation, evaluation or inference.
public struct Augmentation: Equatable, Sendable {
    public var steps: [AugmentationStep]

    public init(_ steps: [AugmentationStep]) { self.steps = steps }

    /// Whether there is nothing to do.
    public var isEmpty: Bool { steps.isEmpty }

    /// Checks that `sampleShape` is an image and every step is in range.
    /// - Throws: ``AugmentationError/unsupportedSampleShape(_:)`` or
    ///   ``AugmentationError/invalidStep(_:)``.
    public func validate(sampleShape: Shape) throws(AugmentationError) {
        guard (2...3).contains(sampleShape.rank), sampleShape.dimensions.allSatisfy({ $0 > 0 }) else {
            throw .unsupportedSampleShape(sampleShape)
        }
        for step in steps { try step.validate() }
    }

    /// Transforms every sample of `batch`, shaped `(n, sampleShape...)`,
    /// in place.
    /// - Throws: ``AugmentationError`` when the shapes are not images or do
    ///   not match.
    public func apply(to batch: inout Tensor<Float>, sampleShape: Shape, rng: inout SeededGenerator) throws(AugmentationError) {
        try validate(sampleShape: sampleShape)
        guard batch.rank == sampleShape.rank + 1, batch.shape.droppingFirst == sampleShape else {
            throw .batchShapeMismatch(sampleShape: sampleShape, batch: batch.shape)
        }
        guard !steps.isEmpty else { return }
        let (height, width) = (sampleShape[0], sampleShape[1])
        let channels = sampleShape.rank == 3 ? sampleShape[2] : 1
        let size = sampleShape.count, count = batch.shape[0]
        var scratch = [Float](repeating: 0, count: size)
        batch.withUnsafeMutableBufferPointer { all in
            scratch.withUnsafeMutableBufferPointer { scratch in
                for i in 0..<count {
                    let sample = UnsafeMutableBufferPointer(rebasing: all[(i * size)..<((i + 1) * size)])
                    var pending = AffineMap.identity
                    func flush() {
                        guard pending != .identity else { return }
                        pending.warp(UnsafeBufferPointer(sample), into: scratch, height: height, width: width, channels: channels)
                        _ = sample.update(fromContentsOf: scratch)
                        pending = .identity
                    }
                    for step in steps {
                        if case let .gaussianNoise(stddev) = step {
                            flush()
                            guard stddev > 0 else { continue }
                            for j in 0..<size { sample[j] += stddev * rng.nextNormal() }
                        } else {
                            pending = pending.then(step.randomMap(height: height, width: width, rng: &rng))
                        }
                    }
                    flush()
                }
            }
        }
    }
}

extension AugmentationStep {
    /// A random map for one sample; the identity for non-geometric steps.
    /// Draws a fixed number of values per step, so later draws do not
    /// depend on earlier outcomes.
    func randomMap(height: Int, width: Int, rng: inout SeededGenerator) -> AffineMap {
        switch self {
        case let .randomShift(maxPixels):
            let dx = rng.nextFloat(in: -maxPixels, maxPixels)
            let dy = rng.nextFloat(in: -maxPixels, maxPixels)
            return .translation(dx: Double(dx), dy: Double(dy))
        case let .randomRotation(degrees):
            return .rotation(degrees: Double(rng.nextFloat(in: -degrees, degrees)), height: height, width: width)
        case let .randomZoom(factor):
            return .zoom(1 + Double(rng.nextFloat(in: -factor, factor)), height: height, width: width)
        case let .randomFlip(horizontal, vertical):
            let h = rng.nextUnitFloat() < 0.5, v = rng.nextUnitFloat() < 0.5
            return .flip(horizontal: horizontal && h, vertical: vertical && v, height: height, width: width)
        case .gaussianNoise:
            return .identity
        }
    }
}
