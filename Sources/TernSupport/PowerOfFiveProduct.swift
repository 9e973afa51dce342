/// The Eisel–Lemire step: `mantissa × 10^q` rounded to a binary format from
/// the 192-bit product of the normalised mantissa and the 128-bit
/// approximation of 5^q (``PowersOfFive``).
///
/// Let X be the product with the real 5^q and P the computed one. T is
/// truncated by less than 1 and the mantissa is under 2^64, so
/// `P ≤ X < P + 2^64` (and `X = P` when T is exact). The result keeps the
/// bits of P from position L up (L - 1 is the rounding bit, at least bit
/// 137), so whenever the bits of P below L - 1 are not within 2^64 of the
/// next multiple of 2^(L-1), X and P round alike. Only then is the result
/// returned; otherwise the caller falls back to an exact method. Without
/// exactness X is never exactly halfway when that check passes (X > P).
@usableFromInline
enum PowerOfFiveProduct {
    @usableFromInline
    struct Format: Sendable {
        init(mantissaBits: Int, minExponent: Int, infiniteExponent: Int, bias: Int,
             maxDecimalExponent: Int64, minDecimalExponent: Int64) {
            self.mantissaBits = mantissaBits
            self.minExponent = minExponent
            self.infiniteExponent = infiniteExponent
            self.bias = bias
            self.maxDecimalExponent = maxDecimalExponent
            self.minDecimalExponent = minDecimalExponent
        }

        /// Stored significand bits (52 or 23).
        @usableFromInline var mantissaBits: Int
        /// The exponent of the least subnormal's bit (-1074 or -149).
        @usableFromInline var minExponent: Int
        /// The all-ones biased exponent (infinity).
        @usableFromInline var infiniteExponent: Int
        @usableFromInline var bias: Int
        /// Powers of ten beyond which every result is infinite / zero.
        @usableFromInline var maxDecimalExponent: Int64
        @usableFromInline var minDecimalExponent: Int64

        static var double: Format {
            Format(mantissaBits: 52, minExponent: -1074, infiniteExponent: 2047, bias: 1023,
                   maxDecimalExponent: 308, minDecimalExponent: -342)
        }
        static var float: Format {
            Format(mantissaBits: 23, minExponent: -149, infiniteExponent: 255, bias: 127,
                   maxDecimalExponent: 38, minDecimalExponent: -64)
        }
    }

    /// The bits of the magnitude of `parts`, correctly rounded, or nil when
    /// the product cannot decide (rare: crafted near-halfway inputs, or
    /// over 19 digits whose truncated and next values round apart).
    @usableFromInline
    static func rounded(_ parts: DecimalParsing.Parts, _ format: Format) -> UInt64? {
        guard let bits = rounded(parts.mantissa, parts.exponent, format) else { return nil }
        guard parts.truncated else { return bits }
        // The real value lies strictly between mantissa and mantissa + 1
        // (scaled); rounding is monotone, so equal ends decide it.
        guard let upper = rounded(parts.mantissa + 1, parts.exponent, format), upper == bits else { return nil }
        return bits
    }

    /// The magnitude `w × 10^q` (w > 0) rounded to nearest, ties to even.
    @usableFromInline
    static func rounded(_ w: UInt64, _ q64: Int64, _ f: Format) -> UInt64? {
        if q64 > f.maxDecimalExponent { return UInt64(f.infiniteExponent) << UInt64(f.mantissaBits) }
        if q64 < f.minDecimalExponent { return 0 }
        let q = Int(q64)
        let power = PowersOfFive.shared.entry(q)
        let exact = q >= 0 && q <= PowersOfFive.maxExactExponent

        let shift = w.leadingZeroBitCount
        let wn = w << UInt64(shift)
        let (h1, p0) = wn.multipliedFullWidth(by: power.low)
        let (h2, l2) = wn.multipliedFullWidth(by: power.high)
        let (p1, carry) = l2.addingReportingOverflow(h1)
        let p2 = h2 &+ (carry ? 1 : 0)
        // P is in [2^190, 2^192): its top bit is 191 or 190.
        let top = p2 >> 63 == 1 ? 191 : 190
        // Bit j of P is worth 2^(j + scale).
        let scale = power.binaryExponent + q - shift
        var lowest = max(top - f.mantissaBits, f.minExponent - scale)
        let roundBit = lowest - 1

        if roundBit >= 192 {
            // Below half the least subnormal, unless X reaches 2^192.
            if roundBit == 192, !exact, p2 == .max, p1 == .max { return nil }
            return 0
        }
        let sh = UInt64(roundBit - 128)  // 9...63
        let belowMask: UInt64 = (1 << sh) - 1
        let belowHigh = p2 & belowMask
        if !exact, belowHigh == belowMask, p1 == .max { return nil }
        let kept = p2 >> sh
        var m = kept >> 1
        if kept & 1 == 1 {
            let tie = exact && belowHigh == 0 && p1 == 0 && p0 == 0
            if !tie || m & 1 == 1 { m += 1 }
        }
        let mb = UInt64(f.mantissaBits)
        if m >> (mb + 1) != 0 {
            m >>= 1
            lowest += 1
        }
        if m >> mb != 0 {
            let biased = lowest + scale + f.mantissaBits + f.bias
            if biased >= f.infiniteExponent { return UInt64(f.infiniteExponent) << mb }
            return UInt64(biased) << mb | (m & ((1 << mb) - 1))
        }
        return m  // subnormal (lowest + scale is the least subnormal's exponent)
    }
}
