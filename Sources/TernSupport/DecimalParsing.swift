/// Decimal text (the JSON number grammar, UTF-8) to binary numbers, correctly
/// rounded and without allocating.
///
/// Conversion happens in up to three steps:
/// 1. Clinger's fast path: a mantissa and a power of ten that are both exact
///    in the target type give the answer with one correctly rounded multiply
///    or divide.
/// 2. Eisel–Lemire (``PowerOfFiveProduct``): the mantissa times a 128-bit
///    approximation of the power of five, decided whenever the approximation
///    error cannot reach a rounding boundary (all but crafted inputs).
/// 3. The C library's correctly rounded `strtod`/`strtof` on a bounded
///    canonical copy of the digits (``DecimalFallback``).
///
/// `Float` results are rounded once, straight from the decimal value (never
/// through `Double`, which double-rounds in rare cases).
public enum DecimalParsing {
    /// A scanned number: `±mantissa × 10^exponent`, plus digits past the
    /// 19th significant one when `truncated`.
    @usableFromInline
    struct Parts {
        var negative = false
        /// The first (up to) 19 significant digits.
        var mantissa: UInt64 = 0
        /// The power of ten that scales `mantissa` (saturated far outside
        /// any finite result's range).
        var exponent: Int64 = 0
        /// Non-zero digits follow the 19 in `mantissa`.
        var truncated = false
        /// Written without a fraction or an exponent (a JSON integer).
        var integral = true
    }

    /// Explicit exponents are accumulated up to this bound, which is far
    /// past every finite double while adding the token's own digit count
    /// (under 2^32) cannot overflow.
    static let exponentCap: Int64 = 1 << 40

    @inline(__always)
    static func digit(_ byte: UInt8) -> UInt64? {
        let d = byte &- UInt8(ascii: "0")
        return d < 10 ? UInt64(d) : nil
    }

    /// How many of the eight bytes at `p` are digits before the first
    /// that is not, and their value (0 digits: value 0).
    @inline(__always)
    static func digitRun(_ p: UnsafePointer<UInt8>) -> (value: UInt64, count: Int) {
        let v = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        // Per byte (the first byte is the lowest lane): x = byte - '0' is a
        // digit iff x < 10, so neither x nor x + 118 reaches 128. Borrows and
        // carries only cross from a non-digit lane into later lanes, which
        // are dropped.
        var x = v &- 0x3030_3030_3030_3030
        let nonDigit = (x | (x &+ 0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080
        let count = nonDigit == 0 ? 8 : nonDigit.trailingZeroBitCount >> 3
        guard count > 0 else { return (0, 0) }
        // Keep the digits' lanes, moved to the top: the lanes below read as
        // leading zeros.
        x <<= UInt64(64 - 8 * count)
        // Pairs, then quads, then all eight: each step combines neighbouring
        // lanes, the lower lane holding the more significant digits.
        x = (x &* 10 &+ (x >> 8)) & 0x00FF_00FF_00FF_00FF
        x = (x &* 100 &+ (x >> 16)) & 0x0000_FFFF_0000_FFFF
        x = (x &* 10000 &+ (x >> 32)) & 0xFFFF_FFFF
        return (x, count)
    }

    /// 10^k for k in 0...8.
    @inline(__always)
    static func smallPowerOfTen(_ k: Int) -> UInt64 {
        switch k {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1000
        case 4: return 10000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        default: return 100_000_000
        }
    }

    /// The end of the run of digits at `i`.
    @inline(__always)
    static func skipDigits(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var i = i
        while i + 8 <= end {
            let (_, n) = digitRun(p + i)
            i += n
            if n < 8 { return i }
        }
        while i < end, p[i] &- 48 < 10 { i += 1 }
        return i
    }

    /// Where the JSON number starting at `start` ends, or `-(position + 1)`
    /// of the first byte that breaks the grammar
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func tokenEnd(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = start
        if i < end, p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, p[i] &- 48 < 10 else { return -(i + 1) }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            i = skipDigits(p, i + 1, end)
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, p[i] &- 48 < 10 else { return -(i + 1) }
            i = skipDigits(p, i + 1, end)
        }
        if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, p[i] &- 48 < 10 else { return -(i + 1) }
            i += 1
            while i < end, p[i] &- 48 < 10 { i += 1 }
        }
        return i
    }

    /// The parts of the number at `start`, which must be a valid token
    /// (see ``tokenEnd(_:from:to:)``); `end` receives where it stops.
    @usableFromInline
    static func parts(_ p: UnsafePointer<UInt8>, from start: Int, to limit: Int, end: inout Int) -> Parts {
        var r = Parts()
        var i = start
        if i < limit, p[i] == UInt8(ascii: "-") { r.negative = true; i += 1 }
        var significant = 0
        var exponent: Int64 = 0
        // Integer part: a lone 0, or digits starting with a non-zero one.
        if i < limit, p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < limit {
                if significant <= 11, i + 8 <= limit {
                    let (value, n) = digitRun(p + i)
                    r.mantissa = r.mantissa &* smallPowerOfTen(n) &+ value
                    significant += n
                    i += n
                    if n < 8 { break }
                    continue
                }
                guard let d = digit(p[i]) else { break }
                if significant < 19 {
                    r.mantissa = r.mantissa &* 10 &+ d
                    significant += 1
                } else {
                    exponent += 1
                    if d != 0 { r.truncated = true }
                }
                i += 1
            }
        }
        if i < limit, p[i] == UInt8(ascii: ".") {
            r.integral = false
            i += 1
            while i < limit {
                // Eight digits at a time once the significant digits began.
                if significant > 0, significant <= 11, i + 8 <= limit {
                    let (value, n) = digitRun(p + i)
                    r.mantissa = r.mantissa &* smallPowerOfTen(n) &+ value
                    significant += n
                    exponent -= Int64(n)
                    i += n
                    if n < 8 { break }
                    continue
                }
                guard let d = digit(p[i]) else { break }
                if significant < 19 {
                    if r.mantissa != 0 || d != 0 {
                        r.mantissa = r.mantissa &* 10 &+ d
                        significant += 1
                    }
                    exponent -= 1
                } else if d != 0 {
                    r.truncated = true
                }
                i += 1
            }
        }
        if i < limit, p[i] | 0x20 == UInt8(ascii: "e") {
            r.integral = false
            i += 1
            var negativeExponent = false
            if i < limit, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var e: Int64 = 0
            while i < limit, let d = digit(p[i]) {
                if e < exponentCap { e = e * 10 + Int64(d) }
                i += 1
            }
            exponent += negativeExponent ? -e : e
        }
        r.exponent = exponent
        end = i
        return r
    }

    // MARK: - Conversions of a valid token

    /// The double nearest the number at `start` (a valid JSON number token;
    /// ±infinity past the finite range, ±0 below it).
    static func double(_ p: UnsafePointer<UInt8>, from start: Int, to limit: Int) -> Double {
        var end = start
        let r = parts(p, from: start, to: limit, end: &end)
        return double(r, p, start, end)
    }

    /// The float32 nearest the number at `start`, rounded once.
    static func float(_ p: UnsafePointer<UInt8>, from start: Int, to limit: Int) -> Float {
        var end = start
        let r = parts(p, from: start, to: limit, end: &end)
        return float(r, p, start, end)
    }

    /// The number at `start` if it is an integer (written as one, or as an
    /// exact integer with a fraction or an exponent) within `Int64`.
    static func int64(_ p: UnsafePointer<UInt8>, from start: Int, to limit: Int) -> Int64? {
        var end = start
        return int64(parts(p, from: start, to: limit, end: &end))
    }

    @usableFromInline
    static func double(_ r: Parts, _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double {
        if r.mantissa == 0 { return r.negative ? -0.0 : 0.0 }
        if !r.truncated, let exact = ClingerFastPath.double(r.mantissa, r.exponent) {
            return r.negative ? -exact : exact
        }
        if let bits = PowerOfFiveProduct.rounded(r, .double) {
            let d = Double(bitPattern: bits)
            return r.negative ? -d : d
        }
        return DecimalFallback.double(p, start, end)
    }

    @usableFromInline
    static func float(_ r: Parts, _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Float {
        if r.mantissa == 0 { return r.negative ? -0.0 : 0.0 }
        if !r.truncated, let exact = ClingerFastPath.float(r.mantissa, r.exponent) {
            return r.negative ? -exact : exact
        }
        if let bits = PowerOfFiveProduct.rounded(r, .float) {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
            return r.negative ? -f : f
        }
        return DecimalFallback.float(p, start, end)
    }

    @usableFromInline
    static func int64(_ r: Parts) -> Int64? {
        guard !r.truncated else { return nil }
        var magnitude = r.mantissa
        if r.exponent < 0 {
            guard r.exponent >= -19 else { return magnitude == 0 ? 0 : nil }
            let scale = ClingerFastPath.powersOfTenU64[Int(-r.exponent)]
            guard magnitude % scale == 0 else { return nil }
            magnitude /= scale
        } else if r.exponent > 0, magnitude != 0 {
            guard r.exponent <= 19 else { return nil }
            let (scaled, overflow) = magnitude.multipliedReportingOverflow(by: ClingerFastPath.powersOfTenU64[Int(r.exponent)])
            guard !overflow else { return nil }
            magnitude = scaled
        }
        if r.negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// The JSON value of an integer token: `Int64` when the literal is a
    /// JSON integer (no fraction, no exponent) that fits.
    @usableFromInline
    static func integerLiteral(_ r: Parts) -> Int64? {
        guard r.integral, r.exponent == 0 else { return nil }
        return int64(r)
    }
}

// MARK: - Conveniences over byte collections

extension DecimalParsing {
    /// The double nearest `text`, or nil if `text` is not one JSON number.
    public static func double<Bytes: Collection<UInt8>>(utf8 text: Bytes) -> Double? {
        withToken(text) { p, n in double(p, from: 0, to: n) }
    }

    /// The float32 nearest `text` (rounded once), or nil if `text` is not
    /// one JSON number.
    public static func float<Bytes: Collection<UInt8>>(utf8 text: Bytes) -> Float? {
        withToken(text) { p, n in float(p, from: 0, to: n) }
    }

    /// `text` as an exact `Int64`, or nil if it is not a JSON number whose
    /// value is an integer in range.
    public static func int64<Bytes: Collection<UInt8>>(utf8 text: Bytes) -> Int64? {
        withToken(text) { p, n in int64(p, from: 0, to: n) } ?? nil
    }

    private static func withToken<Bytes: Collection<UInt8>, T>(
        _ text: Bytes, _ body: (UnsafePointer<UInt8>, Int) -> T
    ) -> T? {
        let run: (UnsafeBufferPointer<UInt8>) -> T? = { buffer in
            guard let base = buffer.baseAddress, tokenEnd(base, from: 0, to: buffer.count) == buffer.count else { return nil }
            return body(base, buffer.count)
        }
        if let result = text.withContiguousStorageIfAvailable(run) { return result }
        return Array(text).withUnsafeBufferPointer(run)
    }
}
