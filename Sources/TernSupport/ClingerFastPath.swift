/// Clinger's fast path: when the decimal mantissa and the power of ten are
/// both exactly representable in the target type, one IEEE multiply or
/// divide (itself correctly rounded) gives the correctly rounded result.
@usableFromInline
enum ClingerFastPath {
    /// 10^k for k in 0...22, exact in a double (5^22 < 2^53); a switch the
    /// compiler turns into a constant table.
    @inline(__always)
    static func powerOfTenDouble(_ k: Int) -> Double {
        switch k {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// 10^k for k in 0...10, exact in a float32 (5^10 < 2^24).
    @inline(__always)
    static func powerOfTenFloat(_ k: Int) -> Float { Float(powerOfTenDouble(k)) }

    /// 10^0 ... 10^19 as integers.
    @usableFromInline
    static let powersOfTenU64: [UInt64] = {
        var powers: [UInt64] = [1]
        for _ in 1...19 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    /// `mantissa × 10^exponent` when it can be computed exactly that way.
    @usableFromInline
    static func double(_ mantissa: UInt64, _ exponent: Int64) -> Double? {
        guard mantissa <= 1 << 53 else { return nil }
        if exponent >= 0 {
            if exponent <= 22 { return Double(mantissa) * powerOfTenDouble(Int(exponent)) }
            // 1234e30: move the excess of the power into the mantissa while it stays exact.
            guard exponent <= 22 + 15 else { return nil }
            let (scaled, overflow) = mantissa.multipliedReportingOverflow(by: powersOfTenU64[Int(exponent) - 22])
            guard !overflow, scaled <= 1 << 53 else { return nil }
            return Double(scaled) * 1e22
        }
        guard exponent >= -22 else { return nil }
        return Double(mantissa) / powerOfTenDouble(Int(-exponent))
    }

    /// The float32 counterpart of ``double(_:_:)``.
    @usableFromInline
    static func float(_ mantissa: UInt64, _ exponent: Int64) -> Float? {
        guard mantissa <= 1 << 24, exponent >= -10, exponent <= 10 else { return nil }
        return exponent >= 0
            ? Float(mantissa) * powerOfTenFloat(Int(exponent))
            : Float(mantissa) / powerOfTenFloat(Int(-exponent))
    }
}
