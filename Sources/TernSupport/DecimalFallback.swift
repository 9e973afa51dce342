#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The exact path for the rare number the fast steps cannot decide: the C
/// library's correctly rounded `strtod`/`strtof` on a canonical copy of the
/// token, `[-]DIGITSe<exponent>` (no decimal point, so no locale).
///
/// The copy is bounded whatever the token: at most ``keptDigits``
/// significant digits, then a `1` if any non-zero digit was dropped. Every
/// double, float and halfway point between neighbours has fewer than 800
/// significant digits, so no rounding boundary lies strictly between the
/// token's value and the shortened one, and both round alike. The exponent
/// is clamped far past the finite range.
enum DecimalFallback {
    static let keptDigits = 800
    /// Past ±(digits + this), every result is zero or infinite.
    static let exponentClamp: Int64 = 100_000

    static func double(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double {
        withCanonical(p, start, end) { strtod($0, nil) }
    }

    static func float(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Float {
        withCanonical(p, start, end) { strtof($0, nil) }
    }

    private static func withCanonical<T>(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                                         _ body: (UnsafePointer<CChar>) -> T) -> T {
        // Sign + digits + sticky digit + "e" + sign + exponent + NUL.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: keptDigits + 32) { out in
            var n = 0
            func put(_ byte: UInt8) { out[n] = CChar(bitPattern: byte); n += 1 }
            var i = start
            if p[i] == UInt8(ascii: "-") { put(UInt8(ascii: "-")); i += 1 }
            var kept = 0
            var sticky = false
            var exponent: Int64 = 0  // power of ten of the last kept digit
            var seenPoint = false
            while i < end {
                let c = p[i]
                if c == UInt8(ascii: ".") { seenPoint = true; i += 1; continue }
                guard c &- 48 < 10 else { break }
                if kept == 0 && c == UInt8(ascii: "0") {
                    if seenPoint { exponent -= 1 }
                } else if kept < keptDigits {
                    put(c)
                    kept += 1
                    if seenPoint { exponent -= 1 }
                } else {
                    if c != UInt8(ascii: "0") { sticky = true }
                    if !seenPoint { exponent += 1 }
                }
                i += 1
            }
            if kept == 0 { put(UInt8(ascii: "0")) }
            if sticky {
                put(UInt8(ascii: "1"))
                exponent -= 1
            }
            if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                var negative = false
                if p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                    negative = p[i] == UInt8(ascii: "-")
                    i += 1
                }
                var e: Int64 = 0
                while i < end, p[i] &- 48 < 10 {
                    if e < DecimalParsing.exponentCap { e = e * 10 + Int64(p[i] &- 48) }
                    i += 1
                }
                exponent += negative ? -e : e
            }
            exponent = min(max(exponent, -exponentClamp), exponentClamp)
            put(UInt8(ascii: "e"))
            for byte in String(exponent).utf8 { put(byte) }
            put(0)
            return body(out.baseAddress!)
        }
    }
}
