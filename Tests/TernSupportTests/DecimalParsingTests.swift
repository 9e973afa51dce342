import Testing
import TernTensor
import TernSupport

/// The decimal parser against Swift's `Double(String)` and `Float(String)`.
@Suite struct DecimalParsingTests {
    @Test func randomDoubleBitPatternsShortestAnd17Digits() {
        var random = SeededGenerator(seed: 1)
        var check = Disagreements()
        for i in 0..<1_000_000 {
            let d = Double(bitPattern: random.next())
            guard d.isFinite else { continue }
            check.checkDouble(d.description)
            if i % 4 == 0 { check.checkDouble(cFormat("%.17g", d)) }
            if i % 8 == 0 { check.checkFloat(d.description) }
        }
        #expect(check.failures.isEmpty, "\(check.failures)")
        #expect(check.checked > 1_200_000)
    }

    @Test func randomFloatBitPatterns() {
        var random = SeededGenerator(seed: 2)
        var check = Disagreements()
        for _ in 0..<300_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            guard f.isFinite else { continue }
            check.checkFloat(f.description)
            check.checkFloat(cFormat("%.9g", Double(f)))
            // What numpy.tolist() writes for a float32: the double's shortest digits.
            check.checkFloat(Double(f).description)
        }
        #expect(check.failures.isEmpty, "\(check.failures)")
    }

    @Test func randomDecimalStrings() {
        var random = SeededGenerator(seed: 3)
        var check = Disagreements()
        for _ in 0..<200_000 {
            func digits(_ count: Int) -> String {
                String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
            }
            var text = Bool.random(using: &random) ? "-" : ""
            // An integer part without leading zeros (or a lone 0), then maybe a fraction.
            let integerDigits = Int.random(in: 0...25, using: &random)
            text += integerDigits == 0 ? "0" : String(Int.random(in: 1...9, using: &random)) + digits(integerDigits - 1)
            let fractionDigits = Int.random(in: 0...25, using: &random)
            if fractionDigits > 0 { text += "." + digits(fractionDigits) }
            if Bool.random(using: &random) {
                text += "e" + String(Int.random(in: -360...330, using: &random))
            }
            check.check(text)
        }
        #expect(check.failures.isEmpty, "\(check.failures)")
    }

    /// Exact midpoints between neighbouring doubles (normal and subnormal),
    /// and the same digits nudged just above and below.
    @Test func halfwayCasesDouble() {
        var random = SeededGenerator(seed: 4)
        var check = Disagreements()
        for i in 0..<1_500 {
            // Significand (53 bits, or fewer for subnormals) and exponent of a
            // double, then its midpoint with the next one: (2m + 1) × 2^(e - 1).
            let subnormal = i % 5 == 0
            let m = subnormal ? random.next() >> 12 : (random.next() >> 11) | 1 << 52
            let e = subnormal ? -1074 : Int.random(in: -1074...971, using: &random)
            let halfway = BigDecimal.exact(2 * m + 1, timesTwoTo: e - 1)
            check.checkDouble(halfway)
            let (digits, exponent) = split(halfway)
            check.checkDouble(digits + "000000000000000000001" + exponent.shifted(by: -21))
            check.checkDouble(lowered(digits) + "99999999999999999999" + exponent.shifted(by: -20))
        }
        #expect(check.failures.isEmpty, "\(check.failures)")
    }

    @Test func halfwayCasesFloat() {
        var random = SeededGenerator(seed: 5)
        var check = Disagreements()
        for i in 0..<3_000 {
            let subnormal = i % 5 == 0
            let m = subnormal ? random.next() >> 41 : (random.next() >> 40) | 1 << 23
            let e = subnormal ? -149 : Int.random(in: -149...104, using: &random)
            let halfway = BigDecimal.exact(2 * m + 1, timesTwoTo: e - 1)
            check.checkFloat(halfway)
            let (digits, exponent) = split(halfway)
            check.checkFloat(digits + "0000000001" + exponent.shifted(by: -10))
            check.checkFloat(lowered(digits) + "999999999" + exponent.shifted(by: -9))
        }
        #expect(check.failures.isEmpty, "\(check.failures)")
    }

    @Test func subnormalsOverflowAndUnderflow() {
        var check = Disagreements()
        let cases = [
            "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "5e-324", "3e-324",
            "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308", "1e-320",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309", "-1e309",
            "1e-400", "-1e-400", "0", "-0", "0.0", "-0.0", "0e10", "0e-999999999999",
            "3.4028235e38", "3.4028235677973366e38", "3.4028236e38", "3.40282357e38", "1e39", "-1e39",
            "1.17549435e-38", "1.4e-45", "7.006492321624085e-46", "7.006492321624086e-46", "1e-46", "-1e-50",
            "9007199254740993", "9007199254740992.5", "123456789012345678901234567890",
            "1e22", "1e23", "8.98846567431158e307", "4.9e-324", "2.5e-324",
        ]
        for text in cases { check.check(text) }
        #expect(check.failures.isEmpty, "\(check.failures)")
        #expect(DecimalParsing.double(utf8: "1e-400".utf8)?.sign == .plus)
        #expect(DecimalParsing.double(utf8: "-1e-400".utf8)?.sign == .minus)
        #expect(DecimalParsing.float(utf8: "-1e-50".utf8)?.sign == .minus)
    }

    /// Every `k/255` as a float32, written as `numpy.tolist()` does (the
    /// shortest digits of the float64 value): read back to the same float,
    /// and to the same double.
    @Test func numpyToListValues() {
        for k in 0...255 {
            let f = Float(k) / 255
            let text = Double(f).description
            #expect(DecimalParsing.float(utf8: text.utf8) == f, "\(text)")
            #expect(DecimalParsing.double(utf8: text.utf8) == Double(f), "\(text)")
        }
        #expect(Double(Float(253) / 255).description == "0.9921568632125854")
    }

    @Test func hostileInputs() {
        var random = SeededGenerator(seed: 6)
        var check = Disagreements()
        for length in [20, 25, 100, 767, 768, 800, 1000, 5000] {
            for _ in 0..<20 {
                let digits = "1" + String((1..<length).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
                let exponent = Int.random(in: -400 - length...300, using: &random)
                check.check(digits + "e" + String(exponent))
                check.check("0." + String(repeating: "0", count: Int.random(in: 0...400, using: &random)) + digits)
            }
        }
        for text in ["1e999999999999", "-1e999999999999", "1e-999999999999", "1E+999999999999999999999999",
                     "0.000000000000000000000000000000000000000000001e999999999999",
                     String(repeating: "9", count: 1000) + "e-1000", "1" + String(repeating: "0", count: 400),
                     "0." + String(repeating: "0", count: 1000) + "1e1001",
                     "179769313486231580793728971405301e276", "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664736e244"] {
            check.check(text)
        }
        #expect(check.failures.isEmpty, "\(check.failures)")
        #expect(DecimalParsing.double(utf8: "1e999999999999".utf8) == .infinity)
        #expect(DecimalParsing.double(utf8: "1e-999999999999".utf8) == 0)
        // A hundred thousand digits still converts (bounded work in the exact path).
        let long = "2." + String(repeating: "4703282292062327", count: 6_250) + "e-324"
        #expect(DecimalParsing.double(utf8: long.utf8) == Double(long))
    }

    @Test func integers() {
        #expect(DecimalParsing.int64(utf8: "9223372036854775807".utf8) == .max)
        #expect(DecimalParsing.int64(utf8: "-9223372036854775808".utf8) == .min)
        #expect(DecimalParsing.int64(utf8: "9223372036854775808".utf8) == nil)
        #expect(DecimalParsing.int64(utf8: "-9223372036854775809".utf8) == nil)
        #expect(DecimalParsing.int64(utf8: "9007199254740993".utf8) == 9_007_199_254_740_993)
        #expect(DecimalParsing.int64(utf8: "1e2".utf8) == 100)
        #expect(DecimalParsing.int64(utf8: "100e-2".utf8) == 1)
        #expect(DecimalParsing.int64(utf8: "1.5".utf8) == nil)
        #expect(DecimalParsing.int64(utf8: "-0".utf8) == 0)
        #expect(DecimalParsing.int64(utf8: "1e19".utf8) == nil)
        #expect(DecimalParsing.int64(utf8: "12345678901234567890123".utf8) == nil)
        #expect(DecimalParsing.int64(utf8: "0.00000000000000000000000001e26".utf8) == 1)
        #expect(DecimalParsing.int64(utf8: "1000000000000000000.0000".utf8) == 1_000_000_000_000_000_000)
        #expect(DecimalParsing.int64(utf8: "1000000000000000000.1".utf8) == nil)  // a non-zero digit past the 19th
    }

    @Test func grammar() {
        for good in ["0", "-0", "1", "-1", "10", "0.5", "1e5", "1E+5", "1e-5", "-0.0e0", "123.456e-7"] {
            #expect(DecimalParsing.double(utf8: good.utf8) != nil, "\(good)")
        }
        for bad in ["", "-", "01", "1.", ".1", "+1", "1e", "1e+", "--1", "1.e3", "0x10", "1 ", " 1", "NaN", "Infinity", "1_0"] {
            #expect(DecimalParsing.double(utf8: bad.utf8) == nil, "\(bad)")
            #expect(DecimalParsing.float(utf8: bad.utf8) == nil, "\(bad)")
        }
    }

    private func split(_ text: String) -> (String, Exponent) {
        guard let e = text.firstIndex(of: "e") else { return (text, Exponent(value: 0)) }
        return (String(text[..<e]), Exponent(value: Int(text[text.index(after: e)...])!))
    }

    /// The digits minus one in the last place (never zero: a midpoint).
    private func lowered(_ digits: String) -> String {
        var bytes = Array(digits.utf8)
        var i = bytes.count - 1
        while bytes[i] == UInt8(ascii: "0") { bytes[i] = UInt8(ascii: "9"); i -= 1 }
        bytes[i] -= 1
        while bytes.count > 1, bytes[0] == UInt8(ascii: "0") { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct Exponent {
    var value: Int
    func shifted(by delta: Int) -> String { "e" + String(value + delta) }
}
