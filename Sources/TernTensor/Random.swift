import RealModule

/// A small, fast, seedable generator (xoshiro256**, seeded by SplitMix64), so
/// training with the same seed gives the same numbers on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A float uniformly distributed in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A float uniformly distributed in [low, high).
    public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// A standard normal sample (Box-Muller).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * 0x1.0p-53
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2))
    }

    /// A derived generator, for giving each component its own stream.
    public mutating func fork() -> SeededGenerator { SeededGenerator(seed: next()) }
}

