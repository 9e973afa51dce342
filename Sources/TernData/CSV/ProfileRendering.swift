import Foundation

extension TableProfile {
    /// The profile as an aligned text table, one line per column: name,
    /// type, missing, distinct, min, mean, max and the most frequent value.
    /// Date-times are shown as ISO 8601 dates; absent statistics as `-`.
    public func render() -> String {
        let header = ["column", "type", "missing", "distinct", "min", "mean", "max", "top"]
        var rows = [header]
        for c in columns {
            let number = { (v: Double?) in v.map { c.type == .datetime ? formatDate($0) : formatNumber($0) } ?? "-" }
            let top = c.top?.first.map { "\(clip($0.value)) (\($0.count))" } ?? "-"
            rows.append([c.name, c.type.rawValue, String(c.missing), String(c.distinct),
                         number(c.min), number(c.mean), number(c.max), top])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [2, 3, 4, 5, 6]
        var lines = ["\(self.rows) rows, \(columns.count) columns"]
        for (r, row) in rows.enumerated() {
            let cells = row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) && r > 0 ? pad + cell : cell + pad
            }
            lines.append(cells.joined(separator: "  ").trimmingTrailingSpaces())
        }
        return lines.joined(separator: "\n")
    }
}

/// Integers as integers, other numbers with up to 4 decimals (or 4
/// significant digits when very large or small).
func formatNumber(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(format: "%.0f", v) }
    if abs(v) >= 1e9 || abs(v) < 1e-3 { return String(format: "%.4g", v) }
    var text = String(format: "%.4f", v)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// Seconds since 1970 as `2024-01-31`, or `2024-01-31T12:00:00Z` with a time of day.
func formatDate(_ seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < 1e14 else { return formatNumber(seconds) }
    let date = Date(timeIntervalSince1970: seconds)
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let p = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    let day = String(format: "%04d-%02d-%02d", p.year ?? 0, p.month ?? 0, p.day ?? 0)
    if seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return day }
    return day + String(format: "T%02d:%02d:%02dZ", p.hour ?? 0, p.minute ?? 0, p.second ?? 0)
}

private func clip(_ text: String) -> String {
    let flat = text.map { $0.isNewline ? " " : $0 }
    return flat.count > 24 ? String(flat.prefix(23)) + "…" : String(flat)
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
