import Foundation
import TernTensor

/// Seeded mutations of a valid input, for fuzzing readers: each case is the
/// valid bytes with a few random edits (bit flips, boundary bytes, integers
/// overwritten with extreme values, bytes inserted, removed, duplicated or
/// cut off), so most cases get past the first checks and reach the deeper
/// ones. The same seed gives the same cases, so a failure names its case.
public struct Mutator {
    private var rng: SeededGenerator

    public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    /// Cases per reader: `TERN_FUZZ_CASES` when set (a long local run),
    /// else `standard`.
    public static func cases(standard: Int = 5000) -> Int {
        ProcessInfo.processInfo.environment["TERN_FUZZ_CASES"].flatMap(Int.init) ?? standard
    }

    /// Values that trip size arithmetic: zero, one, sign bits, all ones.
    private static let extremes: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                                             0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max]

    /// `valid` with one to four random edits.
    public mutating func mutate(_ valid: [UInt8]) -> [UInt8] {
        var bytes = valid
        for _ in 0..<Int.random(in: 1...4, using: &rng) { edit(&bytes) }
        return bytes
    }

    private mutating func edit(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8.random(in: 0...255, using: &rng))
            return
        }
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<9, using: &rng) {
        case 0:
            bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case 1:
            bytes[at] = [0, 0xFF, 0x7F, 0x80, 0x22, 0x5C, 0x2C, 0x0A, 0x7B, 0x5B, 0x30, 0x39, 0x2D][Int.random(in: 0..<13, using: &rng)]
        case 2:
            // An integer field overwritten with an extreme, in either byte order.
            let width = [1, 2, 4, 8][Int.random(in: 0..<4, using: &rng)]
            let value = Mutator.extremes.randomElement(using: &rng)!
            let bigEndian = Bool.random(using: &rng)
            for i in 0..<width where at + i < bytes.count {
                let shift = bigEndian ? UInt64(8 * (width - 1 - i)) : UInt64(8 * i)
                bytes[at + i] = UInt8(truncatingIfNeeded: value >> shift)
            }
        case 3:
            bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        case 4:
            bytes.remove(at: at)
        case 5:
            bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &rng)))
        case 6:
            let end = min(bytes.count, at + Int.random(in: 1...64, using: &rng))
            bytes.insert(contentsOf: Array(bytes[at..<end]), at: Int.random(in: 0...bytes.count, using: &rng))
        case 7:
            bytes.removeSubrange(at...)
        default:
            // A decimal number in text formats replaced by a huge or odd one.
            let numbers = ["99999999999999999999", "-1", "1e309", "NaN", "0", "4294967296", "-9223372036854775808", "1.5"]
            let text = Array(numbers.randomElement(using: &rng)!.utf8)
            bytes.replaceSubrange(at..<min(bytes.count, at + Int.random(in: 1...4, using: &rng)), with: text)
        }
    }
}
