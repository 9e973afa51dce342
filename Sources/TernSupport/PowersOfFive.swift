/// 128-bit approximations of 5^q for q in `minExponent...maxExponent`,
/// computed exactly with a small big-integer routine the first time they
/// are needed (a few milliseconds).
///
/// For each q: `5^q ≈ T × 2^binaryExponent` with `2^127 ≤ T < 2^128` and
/// `T = floor(5^q × 2^-binaryExponent)`, so T never exceeds the real value
/// and falls short by less than 1. T is exact for 0 ≤ q ≤ 55 (5^55 < 2^128).
@usableFromInline
struct PowersOfFive: @unchecked Sendable {
    /// Below 10^-342 even 10^19 rounds to zero as a double.
    static let minExponent = -342
    /// Above 10^308 every positive mantissa overflows a double.
    static let maxExponent = 308
    /// The largest q whose T is exact.
    static let maxExactExponent = 55

    @usableFromInline
    struct Entry {
        var high: UInt64
        var low: UInt64
        var binaryExponent: Int
    }

    /// The entries for `minExponent...maxExponent`, allocated once and never
    /// freed or written after initialisation (so reading needs no lock and
    /// no reference counting).
    let entries: UnsafePointer<Entry>

    @usableFromInline
    static let shared = PowersOfFive()

    @inline(__always)
    func entry(_ q: Int) -> Entry { entries[q - Self.minExponent] }

    private init() {
        let count = Self.maxExponent - Self.minExponent + 1
        let table = UnsafeMutablePointer<Entry>.allocate(capacity: count)
        func store(_ q: Int, _ h: UInt64, _ l: UInt64, _ e: Int) {
            (table + (q - Self.minExponent)).initialize(to: Entry(high: h, low: l, binaryExponent: e))
        }
        var power = Magnitude(1)  // 5^k
        for k in 0...max(-Self.minExponent, Self.maxExponent) {
            if k > 0 { power.multiply(by: 5) }
            let bits = power.bitWidth
            if k <= Self.maxExponent {
                // 5^k's top 128 bits, truncated.
                let (h, l) = power.top128(bitWidth: bits)
                store(k, h, l, bits - 128)
            }
            if k > 0, k <= -Self.minExponent {
                // 5^-k = 2^(bits + 127) / 5^k × 2^-(bits + 127); the quotient is in (2^127, 2^128).
                let (h, l) = Magnitude.quotientOfPowerOfTwo(bits + 127, dividedBy: power)
                store(-k, h, l, -(bits + 127))
            }
        }
        entries = UnsafePointer(table)
    }
}

/// A non-negative big integer, little-endian 64-bit limbs: just what the
/// table needs.
private struct Magnitude {
    var limbs: [UInt64]

    init(_ value: UInt64) { limbs = [value] }

    var bitWidth: Int { limbs.count * 64 - limbs[limbs.count - 1].leadingZeroBitCount }

    mutating func multiply(by factor: UInt64) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let (h, l) = limbs[i].multipliedFullWidth(by: factor)
            let (sum, overflow) = l.addingReportingOverflow(carry)
            limbs[i] = sum
            carry = h &+ (overflow ? 1 : 0)
        }
        if carry != 0 { limbs.append(carry) }
    }

    /// Bit `i` (0 for positions past the top).
    func bit(_ i: Int) -> UInt64 {
        guard i >= 0, i / 64 < limbs.count else { return 0 }
        return (limbs[i / 64] >> UInt64(i % 64)) & 1
    }

    /// The 128 bits starting at the top bit, as (high, low); zero-filled
    /// below the number's last bit.
    func top128(bitWidth bits: Int) -> (UInt64, UInt64) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        for j in 0..<128 {
            let b = bit(bits - 1 - j)
            if j < 64 { h = h << 1 | b } else { l = l << 1 | b }
        }
        return (h, l)
    }

    /// `floor(2^exponent / divisor)`, which the caller guarantees is under
    /// 2^128, by binary long division.
    static func quotientOfPowerOfTwo(_ exponent: Int, dividedBy divisor: Magnitude) -> (UInt64, UInt64) {
        var remainder = Magnitude(1)
        remainder.limbs.append(contentsOf: [UInt64](repeating: 0, count: divisor.limbs.count))
        var h: UInt64 = 0
        var l: UInt64 = 0
        for _ in 0..<exponent {
            remainder.shiftLeftOne()
            h = h << 1 | l >> 63
            l <<= 1
            if !remainder.isLess(than: divisor) {
                remainder.subtract(divisor)
                l |= 1
            }
        }
        return (h, l)
    }

    mutating func shiftLeftOne() {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let next = limbs[i] >> 63
            limbs[i] = limbs[i] << 1 | carry
            carry = next
        }
    }

    /// Compares with a number of at most as many limbs.
    func isLess(than other: Magnitude) -> Bool {
        for i in stride(from: limbs.count - 1, through: 0, by: -1) {
            let o = i < other.limbs.count ? other.limbs[i] : 0
            if limbs[i] != o { return limbs[i] < o }
        }
        return false
    }

    mutating func subtract(_ other: Magnitude) {
        var borrow: UInt64 = 0
        for i in limbs.indices {
            let o = i < other.limbs.count ? other.limbs[i] : 0
            let (d1, b1) = limbs[i].subtractingReportingOverflow(o)
            let (d2, b2) = d1.subtractingReportingOverflow(borrow)
            limbs[i] = d2
            borrow = (b1 || b2) ? 1 : 0
        }
    }
}
