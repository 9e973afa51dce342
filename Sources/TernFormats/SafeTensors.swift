import TernSupport
import Foundation
import TernTensor

/// A set of named tensors with string metadata in the safetensors format:
///
/// - 8 bytes: the header length `N`, a little-endian `UInt64`;
/// - `N` bytes: a UTF-8 JSON object mapping each tensor name to
///   `{"data_offsets": [begin, end], "dtype": "F32", "shape": [...]}`, plus an
///   optional `"__metadata__"` object of strings, padded with spaces;
/// - the data section: each tensor's little-endian elements, contiguous, at
///   `data_offsets` relative to the start of the section.
public struct SafeTensorsFile: Sendable {
    /// The tensors in data order.
    public var tensors: [(name: String, tensor: AnyTensor)]
    /// Free-form string metadata (`__metadata__`).
    public var metadata: [String: String]

    /// The header key reserved for metadata.
    public static let metadataKey = "__metadata__"
    /// The largest header accepted when decoding: 100 MB.
    public static let maxHeaderBytes = 100_000_000
    /// The default largest file accepted by ``read(contentsOf:maxBytes:)``: 4 GiB.
    public static let defaultMaxFileBytes = 1 << 32

    public init(tensors: [(name: String, tensor: AnyTensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> AnyTensor? {
        tensors.first(where: { $0.name == name })?.tensor
    }

    /// The file's bytes. The output is deterministic: tensors are stored in
    /// the order of ``tensors``, JSON keys are sorted (by UTF-8 bytes), there
    /// is no insignificant whitespace, and the header is padded with spaces
    /// to a multiple of 8 bytes so the data section is 8-byte aligned.
    /// `__metadata__` is written only when ``metadata`` is not empty.
    /// - Throws: ``SafeTensorsError/duplicateName(_:)`` or
    ///   ``SafeTensorsError/reservedName(_:)``.
    public func encode() throws -> [UInt8] {
        var seen = Set<String>()
        var entries: [(key: String, json: String)] = []
        var offset = 0
        for (name, tensor) in tensors {
            guard name != Self.metadataKey else { throw SafeTensorsError.reservedName(name) }
            guard seen.insert(name).inserted else { throw SafeTensorsError.duplicateName(name) }
            let end = offset + tensor.byteCount
            let shape = tensor.shape.dimensions.map(String.init).joined(separator: ",")
            let json = "{\"data_offsets\":[\(offset),\(end)],\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)]}"
            entries.append((name, json))
            offset = end
        }
        if !metadata.isEmpty {
            let members = metadata.sorted { utf8Less($0.key, $1.key) }
                .map { JSONValue.quoted($0.key) + ":" + JSONValue.quoted($0.value) }
            entries.append((Self.metadataKey, "{" + members.joined(separator: ",") + "}"))
        }
        entries.sort { utf8Less($0.key, $1.key) }
        var header = Array(("{" + entries.map { JSONValue.quoted($0.key) + ":" + $0.json }.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        out += header
        for (_, tensor) in tensors {
            tensor.withLittleEndianBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Decodes and validates a safetensors file.
    /// - Throws: ``SafeTensorsError`` (see ``SafeTensorsLayout/parse(_:)``).
    public static func decode(_ bytes: [UInt8]) throws -> SafeTensorsFile {
        try decodeWithLayout(bytes).file
    }

    /// Decodes a file and also returns its layout, whose
    /// ``SafeTensorsLayout/dataSection`` locates the raw data bytes (e.g. to
    /// checksum them).
    /// - Throws: ``SafeTensorsError``.
    public static func decodeWithLayout(_ bytes: [UInt8]) throws -> (file: SafeTensorsFile, layout: SafeTensorsLayout) {
        let layout = try SafeTensorsLayout.parse(bytes)
        let tensors = bytes.withUnsafeBytes { raw in
            layout.entries.map { entry in
                let start = layout.dataSection.lowerBound + entry.byteRange.lowerBound
                let slice = UnsafeRawBufferPointer(rebasing: raw[start..<start + entry.byteRange.count])
                return (name: entry.name, tensor: AnyTensor.fromLittleEndian(slice, dtype: entry.dtype, shape: entry.shape))
            }
        }
        return (SafeTensorsFile(tensors: tensors, metadata: layout.metadata), layout)
    }

    /// Reads and decodes a file.
    /// - Throws: ``SafeTensorsError``; I/O errors name the file, not its path.
    public static func read(contentsOf url: URL, maxBytes: Int = defaultMaxFileBytes) throws -> SafeTensorsFile {
        let name = url.lastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SafeTensorsError.fileNotFound(name: name)
        }
        guard !isDirectory.boolValue else { throw SafeTensorsError.unreadable(name: name, reason: "it is a directory") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int, size > maxBytes {
            throw SafeTensorsError.unreadable(name: name, reason: "\(size) bytes exceeds the limit of \(maxBytes)")
        }
        guard let data = try? Data(contentsOf: url) else {
            throw SafeTensorsError.unreadable(name: name, reason: "permission denied or I/O error")
        }
        return try decode([UInt8](data))
    }

    /// Encodes and writes the file atomically (via a temporary file).
    /// - Throws: ``SafeTensorsError``.
    public func write(to url: URL) throws {
        let bytes = try encode()
        do {
            try AtomicFile.write(bytes, to: url)
        } catch {
            throw SafeTensorsError.writeFailed(name: url.lastPathComponent)
        }
    }
}

/// Byte-wise comparison of UTF-8 encodings: a locale-independent sort order.
func utf8Less(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
