extension JSONValue {
    /// The serialized text, object keys sorted.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    /// Appends the serialized text, object keys sorted; non-finite numbers
    /// are written as `null` (JSON has no NaN or infinity).
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .int(i): out.append(contentsOf: String(i).utf8)
        case let .double(d): JSONValue.writeNumber(d.isFinite ? d.description : nil, to: &out)
        case let .float(f): JSONValue.writeNumber(f.isFinite ? f.description : nil, to: &out)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .numbers(values):
            out.append(UInt8(ascii: "["))
            for (i, v) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeNumber(v.isFinite ? v.description : nil, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .floats(values):
            out.reserveCapacity(out.count + values.count * 12 + 2)
            out.append(UInt8(ascii: "["))
            for (i, v) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeNumber(v.isFinite ? v.description : nil, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .array(values):
            out.append(UInt8(ascii: "["))
            for (i, v) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]?.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// JSON text for a string: quoted, with `"`, `\` and control characters
    /// escaped.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes a number's digits, or `null` for a non-finite value.
    private static func writeNumber(_ text: String?, to out: inout [UInt8]) {
        guard let text else { out.append(contentsOf: "null".utf8); return }
        // Swift prints integral floats as "1.0" and exponents as "1e-05":
        // both are valid JSON numbers.
        out.append(contentsOf: text.utf8)
    }

    private static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
