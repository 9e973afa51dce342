#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TernSupport

/// `printf`-style text of a double (`%.17g`, `%.9g`, ...), no Foundation.
func cFormat(_ format: String, _ value: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        let n = withVaList([value]) { vsnprintf(buffer.baseAddress!, 64, format, $0) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)), as: UTF8.self)
    }
}

/// Compares the parser with Swift's `Double(String)`/`Float(String)` (the C
/// library's correctly rounded conversions) and keeps the first few
/// disagreements for the failure message.
struct Disagreements {
    var checked = 0
    var failures: [String] = []

    mutating func check(_ text: String) {
        checkDouble(text)
        checkFloat(text)
    }

    mutating func checkDouble(_ text: String) {
        checked += 1
        let mine = DecimalParsing.double(utf8: text.utf8)
        let reference = Double(text)
        if mine?.bitPattern != reference?.bitPattern, failures.count < 10 {
            failures.append("double \(text): \(String(describing: mine)) vs \(String(describing: reference))")
        }
    }

    mutating func checkFloat(_ text: String) {
        checked += 1
        let mine = DecimalParsing.float(utf8: text.utf8)
        let reference = Float(text)
        if mine?.bitPattern != reference?.bitPattern, failures.count < 10 {
            failures.append("float \(text): \(String(describing: mine)) vs \(String(describing: reference))")
        }
    }
}

/// A non-negative integer as decimal digits, for exact halfway values.
struct BigDecimal {
    /// Little-endian base-10^9 limbs.
    var limbs: [UInt64] = [0]

    init(_ value: UInt64) {
        limbs = []
        var v = value
        repeat { limbs.append(v % 1_000_000_000); v /= 1_000_000_000 } while v > 0
    }

    mutating func multiply(by factor: UInt64) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let product = limbs[i] * factor + carry
            limbs[i] = product % 1_000_000_000
            carry = product / 1_000_000_000
        }
        while carry > 0 { limbs.append(carry % 1_000_000_000); carry /= 1_000_000_000 }
    }

    var digits: String {
        var text = String(limbs[limbs.count - 1])
        for limb in limbs.dropLast().reversed() {
            let part = String(limb)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return text
    }

    /// `m × 2^e` written exactly in decimal (`e < 0`: `m × 5^-e × 10^e`).
    static func exact(_ m: UInt64, timesTwoTo e: Int) -> String {
        var n = BigDecimal(m)
        if e >= 0 {
            for _ in 0..<e { n.multiply(by: 2) }
            return n.digits
        }
        for _ in 0..<(-e) { n.multiply(by: 5) }
        return n.digits + "e" + String(e)
    }
}
