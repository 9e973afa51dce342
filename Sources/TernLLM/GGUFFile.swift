import Foundation

/// One tensor of a GGUF file: its name, dimensions (`dimensions[0]` is the
/// row length, as ggml's `ne[0]`), element type and where its bytes are.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    /// ggml order: the first dimension varies fastest.
    public var dimensions: [Int]
    public var type: GGMLType
    /// Offset of the tensor's first byte from the start of the file.
    public var offset: Int
    public var byteCount: Int

    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A GGUF file (versions 2 and 3): metadata, the tensor table and the
/// tensor data, memory-mapped rather than read.
///
/// Every count, length, dimension and offset is checked against the file
/// before anything is allocated for it, so a truncated or hostile file is
/// refused with a ``GGUFError`` naming the problem and its byte offset,
/// never a crash or a huge allocation.
public struct GGUFFile: Sendable {
    public let version: Int
    /// Metadata in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// The alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// Offset of the tensor data section.
    public let dataOffset: Int
    /// The file's bytes (memory-mapped when read from a file).
    public let bytes: Data
    private let index: [String: Int]

    /// Most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
    public static let maxDimensions = 4
    /// Deepest nesting of arrays in metadata.
    public static let maxArrayDepth = 8

    /// Maps and parses the file at `url`.
    /// - Throws: ``GGUFError`` for a malformed file; a Foundation error
    ///   when it cannot be read.
    public init(contentsOf url: URL) throws {
        try self.init(bytes: try Data(contentsOf: url, options: .alwaysMapped))
    }

    /// Parses a GGUF file held in memory.
    /// - Throws: ``GGUFError``.
    public init(bytes: Data) throws {
        self.bytes = bytes
        var header = Header()
        try bytes.withUnsafeBytes { raw in
            var reader = GGUFReader(raw)
            header = try reader.readHeader()
        }
        version = header.version
        metadataKeys = header.keys
        metadata = header.metadata
        tensors = header.tensors
        alignment = header.alignment
        dataOffset = header.dataOffset
        index = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
    }

    /// The tensor named `name`, if the file has it.
    public func tensor(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// Calls `body` with the bytes of `tensor` (no copy).
    public func withBytes<R>(of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[tensor.offset..<(tensor.offset + tensor.byteCount)]))
        }
    }

    /// The architecture (`general.architecture`), e.g. `llama` or `gemma3`.
    public var architecture: String? { metadata["general.architecture"]?.string }
}

struct Header {
    var version = 0
    var keys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    var tensors: [GGUFTensorInfo] = []
    var alignment = 32
    var dataOffset = 0
}

/// A bounds-checked little-endian reader over the file's bytes.
struct GGUFReader {
    let raw: UnsafeRawBufferPointer
    var position = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var remaining: Int { raw.count - position }

    func error(_ message: String, at offset: Int? = nil) -> GGUFError {
        GGUFError("\(message) (at byte \(offset ?? position))")
    }

    mutating func need(_ count: Int, _ what: String) throws {
        guard count >= 0, count <= remaining else {
            throw error("the file ends inside \(what): \(count) bytes needed, \(remaining) left")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let value = T(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return value
    }

    /// A count or length stored as a u64, within `limit`.
    mutating func readCount(_ what: String, limit: Int) throws -> Int {
        let start = position
        let value = try read(UInt64.self, what)
        guard value <= UInt64(max(0, limit)) else {
            throw error("\(what) is \(value), more than the \(limit) the rest of the file could hold", at: start)
        }
        return Int(value)
    }

    mutating func readString(_ what: String) throws -> String {
        let start = position
        let length = try readCount("the length of \(what)", limit: remaining - 8)
        try need(length, what)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[position..<(position + length)])
        guard let text = String(validating: bytes, as: UTF8.self) else { throw error("\(what) is not valid UTF-8", at: start) }
        position += length
        return text
    }

    mutating func readHeader() throws -> Header {
        var header = Header()
        let magic = try read(UInt32.self, "the magic number")
        guard magic == 0x4655_4747 else { throw error("not a GGUF file (the magic number is not 'GGUF')", at: 0) }
        let version = try read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw error("version \(version) is not supported (Tern reads versions 2 and 3)", at: 4)
        }
        header.version = Int(version)
        // The smallest tensor entry is 24 bytes, the smallest metadata entry 13.
        let tensorCount = try readCount("the tensor count", limit: remaining / 24)
        let keyCount = try readCount("the metadata count", limit: remaining / 13)
        for _ in 0..<keyCount {
            let start = position
            let key = try readString("a metadata key")
            guard header.metadata[key] == nil else { throw error("metadata key '\(key.prefix(80))' appears twice", at: start) }
            let type = try read(UInt32.self, "the type of '\(key.prefix(80))'")
            header.metadata[key] = try readValue(type: type, key: key, depth: 0)
            header.keys.append(key)
        }
        if let value = header.metadata["general.alignment"] {
            guard case let .uint32(alignment) = value, alignment > 0, alignment.nonzeroBitCount == 1 else {
                throw error("general.alignment must be a power of two (a u32), got \(value)")
            }
            header.alignment = Int(alignment)
        }
        var infos: [(name: String, dims: [Int], type: GGMLType, offset: Int, at: Int)] = []
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let start = position
            let name = try readString("a tensor name")
            guard names.insert(name).inserted else { throw error("tensor '\(name.prefix(80))' appears twice", at: start) }
            let rank = try read(UInt32.self, "the rank of '\(name.prefix(80))'")
            guard rank >= 1, rank <= UInt32(GGUFFile.maxDimensions) else {
                throw error("tensor '\(name.prefix(80))' has \(rank) dimensions; 1 to \(GGUFFile.maxDimensions) are allowed", at: start)
            }
            var dims: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let dimStart = position
                let d = try read(UInt64.self, "a dimension of '\(name.prefix(80))'")
                guard d <= UInt64(Int.max) else { throw error("tensor '\(name.prefix(80))' has a dimension of \(d)", at: dimStart) }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
                guard !overflow else { throw error("the element count of tensor '\(name.prefix(80))' overflows", at: dimStart) }
                elements = product
                dims.append(Int(d))
            }
            let typeStart = position
            let code = try read(UInt32.self, "the type of '\(name.prefix(80))'")
            guard let type = GGMLType(rawValue: code) else {
                throw error("tensor '\(name.prefix(80))' has type \(code), which Tern does not read", at: typeStart)
            }
            guard dims[0] % type.blockSize == 0 else {
                throw error("tensor '\(name.prefix(80))' has rows of \(dims[0]) elements, not a multiple of \(type)'s block of \(type.blockSize)", at: start)
            }
            let offsetStart = position
            let offset = try read(UInt64.self, "the offset of '\(name.prefix(80))'")
            guard offset <= UInt64(Int.max / 2), Int(offset) % header.alignment == 0 else {
                throw error("tensor '\(name.prefix(80))' has offset \(offset), not a multiple of the alignment \(header.alignment)", at: offsetStart)
            }
            infos.append((name, dims, type, Int(offset), start))
        }
        // Tensor data starts at the next multiple of the alignment.
        var padded = (position + header.alignment - 1) / header.alignment * header.alignment
        if infos.isEmpty { padded = min(padded, raw.count) }
        guard padded <= raw.count else { throw error("the file ends before its tensor data") }
        header.dataOffset = padded
        let dataBytes = raw.count - padded
        for info in infos {
            guard let size = info.type.byteCount(elements: info.dims.reduce(1, *)) else {
                throw error("tensor '\(info.name.prefix(80))' is too large", at: info.at)
            }
            guard info.offset <= dataBytes, size <= dataBytes - info.offset else {
                throw error("tensor '\(info.name.prefix(80))' (\(size) bytes at data offset \(info.offset)) runs past the end of the file (\(dataBytes) bytes of data)", at: info.at)
            }
            header.tensors.append(GGUFTensorInfo(name: info.name, dimensions: info.dims, type: info.type,
                                                 offset: padded + info.offset, byteCount: size))
        }
        let sorted = header.tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw error("tensors '\(a.name.prefix(80))' and '\(b.name.prefix(80))' overlap", at: a.offset)
        }
        return header
    }

    mutating func readValue(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        let what = "the value of '\(key.prefix(80))'"
        switch type {
        case 0: return .uint8(try read(UInt8.self, what))
        case 1: return .int8(try read(Int8.self, what))
        case 2: return .uint16(try read(UInt16.self, what))
        case 3: return .int16(try read(Int16.self, what))
        case 4: return .uint32(try read(UInt32.self, what))
        case 5: return .int32(try read(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, what)))
        case 7:
            let start = position
            let b = try read(UInt8.self, what)
            guard b <= 1 else { throw error("\(what) is a bool byte \(b)", at: start) }
            return .bool(b == 1)
        case 8: return .string(try readString(what))
        case 9:
            guard depth < GGUFFile.maxArrayDepth else { throw error("\(what) nests arrays deeper than \(GGUFFile.maxArrayDepth)") }
            let elementType = try read(UInt32.self, "the element type of '\(key.prefix(80))'")
            let size = Self.minimumSize(elementType)
            guard size > 0 else { throw error("\(what) is an array of unknown type \(elementType)") }
            let count = try readCount("the length of \(what)", limit: remaining / size)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try readValue(type: elementType, key: key, depth: depth + 1)) }
            return .array(values)
        case 10: return .uint64(try read(UInt64.self, what))
        case 11: return .int64(try read(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, what)))
        default: throw error("\(what) has unknown type \(type)")
        }
    }

    /// The fewest bytes a value of `type` takes (0 for an unknown type).
    static func minimumSize(_ type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 10, 11, 12: return 8
        case 8: return 8
        case 9: return 12
        default: return 0
        }
    }
}
