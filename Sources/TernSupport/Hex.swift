import Foundation
import Crypto

/// Lowercase hexadecimal of `bytes` (a digest, random bytes).
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Lowercase hexadecimal SHA-256 of `bytes`.
public func sha256Hex(_ bytes: some ContiguousBytes) -> String {
    bytes.withUnsafeBytes { hexString(SHA256.hash(data: $0)) }
}
