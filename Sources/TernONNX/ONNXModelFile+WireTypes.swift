import SwiftProtobuf

/// Finds known fields that arrived with the wrong wire type. Protobuf
/// decoders keep such a field as an unknown field rather than failing, so
/// without this check a corrupted field would silently read as absent.
/// Fields this subset does not declare are genuinely unknown and allowed.
enum WireTypeCheck {
    static func model(_ m: ONNXProto_ModelProto) throws {
        try check(m.unknownFields, "ModelProto", known: [1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25])
        for o in m.opsetImport { try check(o.unknownFields, "OperatorSetIdProto", known: [1, 2]) }
        for e in m.metadataProps { try entry(e) }
        guard m.hasGraph else { return }
        let g = m.graph
        try check(g.unknownFields, "GraphProto", known: [1, 2, 5, 10, 11, 12, 13, 15])
        for t in g.initializer { try tensor(t) }
        for v in g.input + g.output + g.valueInfo { try valueInfo(v) }
        for n in g.node {
            try check(n.unknownFields, "NodeProto", known: [1, 2, 3, 4, 5, 6, 7, 8])
            for a in n.attribute {
                try check(a.unknownFields, "AttributeProto", known: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 20, 21, 22, 23])
                if a.hasT { try tensor(a.t) }
            }
        }
    }

    static func entry(_ e: ONNXProto_StringStringEntryProto) throws {
        try check(e.unknownFields, "StringStringEntryProto", known: [1, 2])
    }

    static func tensor(_ t: ONNXProto_TensorProto) throws {
        try check(t.unknownFields, "TensorProto", known: [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
        for e in t.externalData { try entry(e) }
    }

    static func valueInfo(_ v: ONNXProto_ValueInfoProto) throws {
        try check(v.unknownFields, "ValueInfoProto", known: [1, 2, 3])
        guard v.hasType else { return }
        try check(v.type.unknownFields, "TypeProto", known: [1, 4, 5, 6, 7, 8, 9])
        guard case let .tensorType(t)? = v.type.value else { return }
        try check(t.unknownFields, "TypeProto.Tensor", known: [1, 2])
        guard t.hasShape else { return }
        try check(t.shape.unknownFields, "TensorShapeProto", known: [1])
        for d in t.shape.dim { try check(d.unknownFields, "TensorShapeProto.Dimension", known: [1, 2, 3]) }
    }

    /// Walks the unknown fields' tags (already validated by the decoder).
    static func check(_ unknown: UnknownStorage, _ message: String, known: Set<UInt64>) throws {
        let data = [UInt8](unknown.data)
        var i = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < data.count, shift < 64 {
                let b = data[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while i < data.count {
            guard let tag = varint() else { return }
            let field = tag >> 3, wireType = tag & 7
            if known.contains(field) {
                throw ONNXError.malformed("field \(field) of a \(message) has wire type \(wireType), which does not match its declared type")
            }
            switch wireType {
            case 0: guard varint() != nil else { return }
            case 1: i += 8
            case 2:
                guard let length = varint(), length <= UInt64(data.count - i) else { return }
                i += Int(length)
            case 5: i += 4
            default: return  // groups: nothing of this subset lies beyond them
            }
        }
    }
}
