import Foundation
import TernRegistry

extension ModelFormats {
    /// The largest safetensors header read for a checksum.
    static let maxHeaderBytes = 16 << 20

    /// The weights checksum of a stored Tern artifact, read from its
    /// safetensors header (`weights_sha256` in `__metadata__`) without
    /// loading its tensors (the artifact was fully verified on upload); nil
    /// for another format or a header that cannot be read.
    public static func weightsSHA256(_ artifacts: ArtifactStore, _ sha256: String) -> String? {
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
