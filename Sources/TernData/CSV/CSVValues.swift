import Foundation

/// Parsers for the typed values of CSV fields, working on the field's bytes
/// so that numeric columns never become strings.
enum CSVValues {
    private static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
    private static let plus = UInt8(ascii: "+"), minus = UInt8(ascii: "-")
    private static let dot = UInt8(ascii: "."), lowerE = UInt8(ascii: "e"), upperE = UInt8(ascii: "E")

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }

    /// `[+-]digits` fitting in an `Int`.
    static func integer(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        var negative = false
        if i < f.count, f[i] == plus || f[i] == minus { negative = f[i] == minus; i += 1 }
        guard i < f.count else { return nil }
        var value = 0
        while i < f.count {
            let b = f[i]
            guard isDigit(b) else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b - zero))
            guard !o1 && !o2 else { return nil }
            value = s
            i += 1
        }
        return Double(negative ? -value : value)
    }

    private static let powersOf10: [Double] = (0...22).map { pow(10, Double($0)) }

    /// A finite decimal number: `[+-](digits[.digits]|.digits)[(e|E)[+-]digits]`.
    /// No hexadecimal, `inf` or `nan` (those are categorical, or missing).
    static func float(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        var negative = false
        if i < f.count, f[i] == plus || f[i] == minus { negative = f[i] == minus; i += 1 }
        var mantissa: UInt64 = 0, digits = 0, fractionDigits = 0, significant = 0
        var exact = true
        func digit(_ b: UInt8) {
            if significant > 0 || b != zero { significant += 1 }
            if significant <= 19 { mantissa = mantissa &* 10 &+ UInt64(b - zero) } else { exact = false }
        }
        while i < f.count, isDigit(f[i]) { digit(f[i]); digits += 1; i += 1 }
        if i < f.count, f[i] == dot {
            i += 1
            while i < f.count, isDigit(f[i]) { digit(f[i]); digits += 1; fractionDigits += 1; i += 1 }
        }
        guard digits > 0 else { return nil }
        var exponent = 0
        if i < f.count, f[i] == lowerE || f[i] == upperE {
            i += 1
            var negativeExponent = false
            if i < f.count, f[i] == plus || f[i] == minus { negativeExponent = f[i] == minus; i += 1 }
            let start = i
            while i < f.count, isDigit(f[i]) {
                exponent = min(exponent * 10 + Int(f[i] - zero), 100_000)
                i += 1
            }
            guard i > start else { return nil }
            if negativeExponent { exponent = -exponent }
        }
        guard i == f.count else { return nil }
        let scale = exponent - fractionDigits
        // Exact fast path: both operands exactly representable, one rounding.
        if exact, mantissa < (1 << 53), abs(scale) <= 22 {
            let m = Double(mantissa)
            let value = scale < 0 ? m / powersOf10[-scale] : m * powersOf10[scale]
            return negative ? -value : value
        }
        guard let value = Double(String(decoding: f, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    /// `true`/`false`, `True`/`False`, `TRUE`/`FALSE`, `yes`/`no`, `Yes`/`No`,
    /// `YES`/`NO` as 1/0. (`0`/`1` columns are integers.)
    static func boolean(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        guard f.count >= 2 && f.count <= 5 else { return nil }
        switch String(decoding: f, as: UTF8.self) {
        case "true", "True", "TRUE", "yes", "Yes", "YES": return 1
        case "false", "False", "FALSE", "no", "No", "NO": return 0
        default: return nil
        }
    }

    /// ISO 8601 `YYYY-MM-DD`, optionally followed by `T` (or a space) and
    /// `HH:MM[:SS[.fraction]]` and a zone `Z` or `±HH:MM` / `±HHMM`, as seconds
    /// since 1970-01-01T00:00:00Z. Times without a zone are taken as UTC.
    static func dateTime(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        guard f.count >= 10 else { return nil }
        func number(_ at: Int, _ width: Int) -> Int? {
            guard at + width <= f.count else { return nil }
            var n = 0
            for k in at..<(at + width) {
                guard isDigit(f[k]) else { return nil }
                n = n * 10 + Int(f[k] - zero)
            }
            return n
        }
        guard let year = number(0, 4), f[4] == minus, let month = number(5, 2), f[7] == minus, let day = number(8, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        guard f.count > 10 else { return seconds }
        guard f[10] == UInt8(ascii: "T") || f[10] == UInt8(ascii: " "),
              let hour = number(11, 2), f.count > 13, f[13] == UInt8(ascii: ":"), let minute = number(14, 2),
              hour < 24, minute < 60 else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        var i = 16
        if i < f.count, f[i] == UInt8(ascii: ":") {
            guard let second = number(i + 1, 2), second < 60 else { return nil }
            seconds += Double(second)
            i += 3
            if i < f.count, f[i] == dot {
                i += 1
                var scale = 0.1
                let start = i
                while i < f.count, isDigit(f[i]) { seconds += Double(f[i] - zero) * scale; scale /= 10; i += 1 }
                guard i > start else { return nil }
            }
        }
        guard i < f.count else { return seconds }
        if f[i] == UInt8(ascii: "Z") { return i + 1 == f.count ? seconds : nil }
        guard f[i] == plus || f[i] == minus, let zoneHours = number(i + 1, 2), zoneHours < 24 else { return nil }
        let sign = f[i] == plus ? 1.0 : -1.0
        var zoneMinutesAt = i + 3
        if zoneMinutesAt < f.count, f[zoneMinutesAt] == UInt8(ascii: ":") { zoneMinutesAt += 1 }
        guard let zoneMinutes = number(zoneMinutesAt, 2), zoneMinutes < 60, zoneMinutesAt + 2 == f.count else { return nil }
        return seconds - sign * Double(zoneHours * 3600 + zoneMinutes * 60)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// The missing-value tokens as bytes, compared without making strings.
struct MissingTokens {
    private let tokens: [[UInt8]]
    private let maxLength: Int

    init(_ set: Set<String>) {
        tokens = set.map { Array($0.utf8) }
        maxLength = tokens.map(\.count).max() ?? 0
    }

    func contains(_ f: UnsafeBufferPointer<UInt8>) -> Bool {
        guard f.count <= maxLength else { return false }
        for token in tokens where token.count == f.count {
            if token.withUnsafeBufferPointer({ t in t.elementsEqual(f) }) { return true }
        }
        return false
    }
}
