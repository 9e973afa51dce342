import Foundation
import TernRegistry

/// Reads the weights checksum from a stored artifact's safetensors header
/// without loading its tensors (the artifact was fully verified on upload).
enum ArtifactHeader {
    /// The largest header read.
    static let maxHeaderBytes = 16 << 20

    /// `weights_sha256` from the `__metadata__` of blob `sha256`, or nil if
    /// it cannot be read.
    static func weightsSHA256(_ artifacts: ArtifactStore, _ sha256: String) -> String? {
        guard let url = try? artifacts.path(for: sha256), let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return nil }
        let length = prefix.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length > 0, length <= UInt64(maxHeaderBytes),
              let header = try? handle.read(upToCount: Int(length)), header.count == Int(length),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
              let metadata = object["__metadata__"] as? [String: Any],
              let weights = metadata["weights_sha256"] as? String,
              weights.utf8.count == 64, weights.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        return weights
    }
}
