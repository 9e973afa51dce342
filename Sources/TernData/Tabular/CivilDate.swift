import Foundation

/// Gregorian calendar dates in UTC, computed from day counts (no time zones,
/// so the same on every machine).
struct CivilDate: Equatable {
    var year: Int
    var month: Int
    var day: Int

    /// The date `days` after 1970-01-01 (negative is before).
    init(daysSinceEpoch days: Int) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153  // 0 = March
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days from 1970-01-01 to this date.
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The weekday of a day count: 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
    static func weekday(daysSinceEpoch days: Int) -> Int {
        ((days % 7) + 7 + 3) % 7
    }

    /// Seconds since 1970 of `YYYY-MM-DD`, optionally followed by `T` or a
    /// space and `HH:MM[:SS[.fff]]` and an optional `Z`; nil otherwise.
    static func parseSeconds(_ text: String) -> Double? {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var n = 0
            for i in range {
                guard chars[i] >= 48, chars[i] <= 57 else { return nil }
                n = n * 10 + Int(chars[i] - 48)
            }
            return n
        }
        guard chars.count >= 10, chars[4] == 45, chars[7] == 45,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = Double(CivilDate(year: year, month: month, day: day).daysSinceEpoch) * 86_400
        guard chars.count > 10 else { return seconds }
        guard chars[10] == 84 || chars[10] == 32, chars.count >= 16, chars[13] == 58,
              let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        var rest = chars[16...]
        if rest.last == 90 { rest = rest.dropLast() }  // Z
        guard !rest.isEmpty else { return seconds }
        guard rest.first == 58, let s = Double(String(decoding: rest.dropFirst(), as: UTF8.self)), s >= 0, s < 61
        else { return nil }
        return seconds + s
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
