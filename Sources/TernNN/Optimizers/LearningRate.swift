import RealModule

/// A learning rate, constant or scheduled per optimizer step (Keras
/// `LearningRateSchedule`s count steps, i.e. batches, not epochs).
public enum LearningRate: Sendable, Equatable {
    case constant(Float)
    /// `initial * rate^floor(step / decaySteps)` (Keras ExponentialDecay with staircase).
    case step(initial: Float, decaySteps: Int, decayRate: Float)
    /// `initial * rate^(step / decaySteps)` (Keras ExponentialDecay).
    case exponential(initial: Float, decaySteps: Int, decayRate: Float)
    /// Keras CosineDecay: `initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) + alpha)`.
    case cosine(initial: Float, decaySteps: Int, alpha: Float)

    /// The rate for zero-based optimizer step `step`.
    public func value(at step: Int) -> Float {
        switch self {
        case let .constant(lr):
            return lr
        case let .step(initial, decaySteps, rate):
            return initial * Float.pow(rate, Float(step / decaySteps))
        case let .exponential(initial, decaySteps, rate):
            return initial * Float.pow(rate, Float(step) / Float(decaySteps))
        case let .cosine(initial, decaySteps, alpha):
            let progress = Float(min(step, decaySteps)) / Float(decaySteps)
            let cosine = 0.5 * (1 + Float.cos(Float.pi * progress))
            return initial * ((1 - alpha) * cosine + alpha)
        }
    }

    public var initial: Float {
        switch self {
        case let .constant(lr): return lr
        case let .step(initial, _, _), let .exponential(initial, _, _), let .cosine(initial, _, _): return initial
        }
    }
}
