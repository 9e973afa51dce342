import TernTensor
import TernSupport

/// One random image transform applied to training batches, written like a
/// layer: `{"type": "random_shift", "max_pixels": 2}`.
///
/// Each sample of a batch draws its own parameters. Ranges are symmetric
/// and uniform:
/// - `random_shift`: `max_pixels` — shifts by `dx`, `dy`, each drawn
///   independently from `[-max_pixels, max_pixels]` pixels (sub-pixel
///   amounts are interpolated). This is an absolute pixel count, not Keras'
///   `RandomTranslation` fraction: on 28×28 MNIST, `max_pixels: 2.8` equals
///   Keras' `height_factor = width_factor = 0.1`.
/// - `random_rotation`: `degrees` — rotates about the image centre by an
///   angle from `[-degrees, degrees]`; positive angles turn the image
///   counter-clockwise as displayed (as Keras `RandomRotation`).
///   `degrees: 15` equals Keras' `factor = 15/360`.
/// - `random_zoom`: `factor` — scales about the centre by `1 + z`, `z` from
///   `[-factor, factor]` (0.1 = ±10%); above 1 the content grows (zoom in).
///   The aspect ratio is kept.
/// - `random_flip`: `horizontal` (default true), `vertical` (default false)
///   — mirrors each enabled axis with probability ½. Leave it out for
///   digits and text, whose mirror images are other (or no) symbols.
/// - `gaussian_noise`: `stddev` — adds independent normal noise to every
///   element (Keras `GaussianNoise`), on the scale of the network's input.
public enum AugmentationStep: Equatable, Sendable {
    case randomShift(maxPixels: Float)
    case randomRotation(degrees: Float)
    case randomZoom(factor: Float)
    case randomFlip(horizontal: Bool, vertical: Bool)
    case gaussianNoise(stddev: Float)

    /// The `type` names, as written in specs.
    public static let typeNames = ["random_shift", "random_rotation", "random_zoom", "random_flip", "gaussian_noise"]

    /// The type name of this step.
    public var typeName: String {
        switch self {
        case .randomShift: return "random_shift"
        case .randomRotation: return "random_rotation"
        case .randomZoom: return "random_zoom"
        case .randomFlip: return "random_flip"
        case .gaussianNoise: return "gaussian_noise"
        }
    }

    /// Whether the step moves pixels (and so is folded into the per-sample
    /// affine map) rather than changing their values.
    public var isGeometric: Bool {
        if case .gaussianNoise = self { return false }
        return true
    }

    /// Checks the parameters' ranges.
    /// - Throws: ``AugmentationError/invalidStep(_:)`` naming the step and
    ///   the parameter.
    public func validate() throws(AugmentationError) {
        switch self {
        case let .randomShift(maxPixels):
            guard maxPixels.isFinite, (0...1024).contains(maxPixels) else {
                throw .invalidStep("random_shift 'max_pixels' must be between 0 and 1024, got \(maxPixels)")
            }
        case let .randomRotation(degrees):
            guard degrees.isFinite, (0...180).contains(degrees) else {
                throw .invalidStep("random_rotation 'degrees' must be between 0 and 180, got \(degrees)")
            }
        case let .randomZoom(factor):
            guard factor.isFinite, factor >= 0, factor < 1 else {
                throw .invalidStep("random_zoom 'factor' must be at least 0 and below 1, got \(factor)")
            }
        case let .randomFlip(horizontal, vertical):
            guard horizontal || vertical else {
                throw .invalidStep("random_flip needs 'horizontal' or 'vertical' to be true")
            }
        case let .gaussianNoise(stddev):
            guard stddev.isFinite, stddev >= 0 else {
                throw .invalidStep("gaussian_noise 'stddev' must be finite and at least 0, got \(stddev)")
            }
        }
    }
}

/// Errors from describing or applying augmentation.
public enum AugmentationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A step that does not decode or whose parameters are out of range.
    case invalidStep(String)
    /// Augmentation works on images `(h, w)` or `(h, w, c)` per sample.
    case unsupportedSampleShape(Shape)
    /// The batch is not `(n, sampleShape...)`.
    case batchShapeMismatch(sampleShape: Shape, batch: Shape)

    public var description: String {
        switch self {
        case let .invalidStep(reason):
            return "augmentation: \(reason)"
        case let .unsupportedSampleShape(shape):
            return "augmentation: needs image inputs shaped (height, width) or (height, width, channels), got \(shape)"
        case let .batchShapeMismatch(sample, batch):
            return "augmentation: a batch of \(sample) samples cannot have shape \(batch)"
        }
    }
}

extension AugmentationStep: Codable {

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        guard let type = try c.decodeIfPresent(String.self, forKey: JSONKey("type")) else {
            throw AugmentationError.invalidStep("each step needs a 'type' (one of \(Self.typeNames.joined(separator: ", ")))")
        }
        func only(_ allowed: [String]) throws {
            let keys = Set(allowed + ["type"])
            if let bad = c.allKeys.map(\.stringValue).sorted().first(where: { !keys.contains($0) }) {
                throw AugmentationError.invalidStep("\(type) has no option '\(bad)' (allowed: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        func required(_ name: String) throws -> Float {
            guard let value = try c.decodeIfPresent(Float.self, forKey: JSONKey(name)) else {
                throw AugmentationError.invalidStep("\(type) needs '\(name)'")
            }
            return value
        }
        switch type {
        case "random_shift":
            try only(["max_pixels"])
            self = .randomShift(maxPixels: try required("max_pixels"))
        case "random_rotation":
            try only(["degrees"])
            self = .randomRotation(degrees: try required("degrees"))
        case "random_zoom":
            try only(["factor"])
            self = .randomZoom(factor: try required("factor"))
        case "random_flip":
            try only(["horizontal", "vertical"])
            self = .randomFlip(horizontal: try c.decodeIfPresent(Bool.self, forKey: JSONKey("horizontal")) ?? true,
                               vertical: try c.decodeIfPresent(Bool.self, forKey: JSONKey("vertical")) ?? false)
        case "gaussian_noise":
            try only(["stddev"])
            self = .gaussianNoise(stddev: try required("stddev"))
        default:
            throw AugmentationError.invalidStep("unknown augmentation step '\(type)' (known: \(Self.typeNames.joined(separator: ", ")))")
        }
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(typeName, forKey: JSONKey("type"))
        switch self {
        case let .randomShift(maxPixels): try c.encode(maxPixels, forKey: JSONKey("max_pixels"))
        case let .randomRotation(degrees): try c.encode(degrees, forKey: JSONKey("degrees"))
        case let .randomZoom(factor): try c.encode(factor, forKey: JSONKey("factor"))
        case let .randomFlip(horizontal, vertical):
            try c.encode(horizontal, forKey: JSONKey("horizontal"))
            try c.encode(vertical, forKey: JSONKey("vertical"))
        case let .gaussianNoise(stddev): try c.encode(stddev, forKey: JSONKey("stddev"))
        }
    }
}
