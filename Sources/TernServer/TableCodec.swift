import Foundation
import NIOCore
import TernData
import TernFormats
import TernServing
import TernSupport
import TernTensor

/// Raw records for table models, in both protocols: KServe V2 with one
/// input tensor per column (BYTES for categorical columns, FP32/FP64/INT*/BOOL
/// for numeric ones; shape `[n]` or `[n, 1]`; JSON `null` elements are
/// missing values, a Tern extension since V2 JSON has no missing marker),
/// and TF Serving `instances` as objects keyed by column name (or columnar
/// `inputs` as an object of columns). The fitted pipeline then applies
/// exactly what training applied; columns the pipeline drops may be omitted.
/// Classification models answer the class label as well as probabilities.
enum TableCodec {
    static let labelOutput = "label"

    /// The raw columns a table model takes (the training columns minus the
    /// target and those its pipeline drops).
    static func inputColumns(_ pipeline: FittedTabularPipeline) -> [TabularInputColumn] {
        let dropped = Set(pipeline.steps.flatMap { step -> [String] in
            if case .dropColumns = step.step { return step.columns }
            return []
        })
        return pipeline.inputColumns.filter { $0.name != pipeline.target && !dropped.contains($0.name) }
    }

    /// The V2 datatype reported for a column.
    static func datatype(_ type: ColumnType) -> String {
        switch type {
        case .categorical, .datetime: return "BYTES"
        case .boolean: return "BOOL"
        case .integer, .float: return "FP32"
        }
    }

    // MARK: Requests

    /// A V2 request's inputs as a table. A column with
    /// `parameters.binary_data_size` takes its values from `binary`, in input
    /// order: numbers little-endian, BYTES as length-prefixed UTF-8 strings.
    static func decodeV2(_ inputs: [JSONValue], binary: BinarySections? = nil, pipeline: FittedTabularPipeline, maxElements: Int) throws -> Table {
        var binary = binary
        let known = Dictionary(uniqueKeysWithValues: pipeline.inputColumns.map { ($0.name, $0.type) })
        var columns: [Column] = []
        var batch: Int?
        for (i, item) in inputs.enumerated() {
            guard case let .object(tensor) = item else { throw V2Codec.bad("'inputs[\(i)]' must be an object") }
            try V2Codec.allowOnly(["name", "shape", "datatype", "parameters", "data"], in: tensor, what: "input tensor")
            guard case let .string(name)? = tensor["name"] else { throw V2Codec.bad("'inputs[\(i)].name' must be a string") }
            guard let type = known[name] else {
                throw V2Codec.bad("unknown input '\(name.prefix(64))'; the model takes columns \(inputColumns(pipeline).map(\.name).joined(separator: ", "))")
            }
            guard case let .string(typeName)? = tensor["datatype"], let datatype = V2DataType(rawValue: typeName) else {
                throw V2Codec.bad("'inputs[\(i)].datatype' must be a V2 datatype")
            }
            guard case let .numbers(dims)? = tensor["shape"], (1...2).contains(dims.count), dims.allSatisfy({ $0 >= 0 && $0.rounded() == $0 }),
                  dims.count == 1 || dims[1] == 1 else {
                throw V2Codec.bad("'inputs[\(i)].shape' of a column must be [n] or [n, 1]")
            }
            let field = "inputs[\(i)]"
            var section: ByteBuffer?
            if let size = try V2Binary.declaredSize(tensor["parameters"], field: "\(field).parameters") {
                section = try V2Binary.section(size, hasData: tensor["data"] != nil, binary: &binary, field: field)
                // Every element takes at least a byte: more rows than bytes is a 400, not an allocation.
                guard dims[0] <= Double(size) else { throw V2Codec.bad("'\(field).shape' has \(dims[0]) rows but only \(size) bytes of binary data") }
            }
            guard dims[0] <= Double(maxElements) else { throw TensorJSON.tooMany(maxElements) }
            let n = Int(dims[0])
            if let batch, batch != n { throw V2Codec.bad("input '\(name)' has \(n) rows but the others have \(batch)") }
            batch = n
            let values = try section.map { try binaryElements($0, datatype: datatype, rows: n, field: field) }
                ?? elements(tensor["data"], field: "\(field).data")
            guard values.count == n else { throw V2Codec.bad("'shape' \(dims.map { Int($0) }) has \(n) elements but 'inputs[\(i)].data' has \(values.count)") }
            if datatype == .BYTES, values.contains(where: { if case .number = $0 { return true } else { return false } }) {
                throw V2Codec.bad("input '\(name)' is BYTES but holds numbers")
            }
            columns.append(try column(name, type, values))
        }
        try binary?.finish()
        return Table(columns: columns)
    }

    /// A column's values from its binary section.
    private static func binaryElements(_ bytes: ByteBuffer, datatype: V2DataType, rows: Int, field: String) throws -> [Element] {
        if datatype == .BYTES { return try V2Binary.strings(bytes, count: rows, field: field).map { .text($0) } }
        try V2Binary.checkSize(bytes.readableBytes, count: rows, datatype: datatype, shape: [rows], field: field)
        let values = try V2Binary.doubles(bytes, datatype: datatype, field: field)
        try V2Codec.checkValues(values, datatype: datatype, field: field)
        return values.map { .number($0) }
    }

    /// TF Serving row format: one object per instance, keyed by column name.
    static func decodeInstances(_ instances: [JSONValue], pipeline: FittedTabularPipeline, maxElements: Int) throws -> Table {
        guard instances.count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
        let known = Dictionary(uniqueKeysWithValues: pipeline.inputColumns.map { ($0.name, $0.type) })
        let serving = inputColumns(pipeline)
        var cells: [String: [Element]] = [:]
        for (row, item) in instances.enumerated() {
            guard case let .object(record) = item else {
                throw V2Codec.bad("'instances[\(row)]' must be an object keyed by column name")
            }
            for key in record.keys where known[key] == nil {
                throw V2Codec.bad("unknown column '\(key.prefix(64))' in 'instances[\(row)]'")
            }
            for input in serving {
                cells[input.name, default: []].append(try element(record[input.name] ?? .null, field: "instances[\(row)].\(input.name)"))
            }
        }
        var columns: [Column] = []
        for input in serving {
            columns.append(try column(input.name, input.type, cells[input.name] ?? []))
        }
        return Table(columns: columns)
    }

    /// TF Serving columnar format: `{"column": [values], ...}`.
    static func decodeColumns(_ object: [String: JSONValue], pipeline: FittedTabularPipeline, maxElements: Int) throws -> Table {
        let known = Dictionary(uniqueKeysWithValues: pipeline.inputColumns.map { ($0.name, $0.type) })
        var columns: [Column] = []
        var batch: Int?
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let type = known[name] else { throw V2Codec.bad("unknown column '\(name.prefix(64))' in 'inputs'") }
            let values = try elements(value, field: "inputs.\(name)")
            guard values.count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
            if let batch, batch != values.count { throw V2Codec.bad("column '\(name)' has \(values.count) rows but the others have \(batch)") }
            batch = values.count
            columns.append(try column(name, type, values))
        }
        return Table(columns: columns)
    }

    enum Element {
        case missing
        case number(Double)
        case text(String)
    }

    static func elements(_ value: JSONValue?, field: String) throws -> [Element] {
        switch value {
        case let .numbers(list)?: return list.map { .number($0) }
        case let .array(list)?:
            return try list.enumerated().map { i, v in
                if case let .array(inner) = v, inner.count == 1 { return try element(inner[0], field: "\(field)[\(i)]") }
                if case let .numbers(inner) = v, inner.count == 1 { return .number(inner[0]) }
                return try element(v, field: "\(field)[\(i)]")
            }
        case nil: throw V2Codec.bad("missing '\(field)'")
        default: throw V2Codec.bad("'\(field)' must be a list")
        }
    }

    static func element(_ value: JSONValue, field: String) throws -> Element {
        switch value {
        case .null: return .missing
        case let .bool(b): return .number(b ? 1 : 0)
        case let .string(s): return .text(s)
        case .int, .double, .float:
            guard let d = value.number, d.isFinite else { throw V2Codec.bad("'\(field)' is not a finite number") }
            return .number(d)
        default: throw V2Codec.bad("'\(field)' must be a number, a string, a boolean or null")
        }
    }

    /// A column in the form the pipeline conforms: numbers for numeric
    /// columns (text parsed), text for categorical and date columns.
    static func column(_ name: String, _ type: ColumnType, _ values: [Element]) throws -> Column {
        switch type {
        case .integer, .float, .boolean:
            return Column(name: name, type: type, values: .numbers(try values.map { e -> Double? in
                switch e {
                case .missing: return nil
                case let .number(d): return d
                case let .text(s):
                    if let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
                    if type == .boolean, let b = ["true": 1.0, "false": 0.0][s.lowercased()] { return b }
                    throw V2Codec.bad("column '\(name)' takes numbers, got '\(s.prefix(32))'")
                }
            }))
        case .categorical, .datetime:
            return Column(name: name, type: type, values: .strings(values.map { e -> String? in
                switch e {
                case .missing: return nil
                case let .text(s): return s
                case let .number(d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
                }
            }))
        }
    }

    /// The features of `table`, or a 400 naming the column the pipeline refuses.
    static func features(_ table: Table, pipeline: FittedTabularPipeline) throws -> Tensor<Float> {
        do {
            return try pipeline.transform(table, training: false).features
        } catch {
            throw APIError(.badRequest, "\(error)")
        }
    }

    // MARK: Responses

    /// The class index and label of each row of `output` (probabilities).
    static func labels(_ output: Tensor<Float>, pipeline: FittedTabularPipeline) -> [String]? {
        guard pipeline.classLabels != nil else { return nil }
        let rows = output.shape[0], width = output.count / max(rows, 1)
        let values = output.scalars
        return (0..<rows).map { r in
            let row = values[(r * width)..<((r + 1) * width)]
            let index = width == 1 ? (row[row.startIndex] > 0.5 ? 1 : 0) : (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - row.startIndex
            return pipeline.decodeClass(index)
        }
    }

    static func v2Outputs(_ output: Tensor<Float>, pipeline: FittedTabularPipeline, requested: Set<String>?) -> [V2Output] {
        let rows = output.shape[0], width = output.count / max(rows, 1)
        var outputs: [V2Output] = []
        if requested == nil || requested?.contains(V2Codec.outputName) == true {
            outputs.append(V2Output(name: V2Codec.outputName, datatype: "FP32", shape: [rows, width], values: .floats(output)))
        }
        if let labels = labels(output, pipeline: pipeline), requested == nil || requested?.contains(labelOutput) == true {
            outputs.append(V2Output(name: labelOutput, datatype: "BYTES", shape: [rows], values: .strings(labels)))
        }
        return outputs
    }

    /// TF Serving rows: `{"label", "probabilities"}` per row for
    /// classification, the value for regression.
    static func tfPredictions(_ output: Tensor<Float>, pipeline: FittedTabularPipeline, columnar: Bool) -> JSONValue {
        let rows = output.shape[0], width = output.count / max(rows, 1)
        let values = output.scalars
        let vectors: [JSONValue] = (0..<rows).map { r in .array(values[(r * width)..<((r + 1) * width)].map { .float($0) }) }
        guard let labels = labels(output, pipeline: pipeline) else {
            let flat: [JSONValue] = width == 1 ? values.map { .float($0) } : vectors
            return .object([columnar ? "outputs" : "predictions": .array(flat)])
        }
        if columnar {
            return .object(["outputs": .object(["label": .array(labels.map { .string($0) }), "probabilities": .array(vectors)])])
        }
        return .object(["predictions": .array((0..<rows).map { r in
            .object(["label": .string(labels[r]), "probabilities": vectors[r]])
        })])
    }

    static func v2Metadata(_ loaded: LoadedModel, pipeline: FittedTabularPipeline, versions: [Int]) -> JSONValue {
        var outputs: [JSONValue] = [tensor(V2Codec.outputName, "FP32", [-1, loaded.outputUnits])]
        if pipeline.classLabels != nil { outputs.append(tensor(labelOutput, "BYTES", [-1])) }
        var body: [String: JSONValue] = [
            "name": .string(loaded.model),
            "versions": .array(versions.map { .string(String($0)) }),
            "platform": .string("tern"),
            "inputs": .array(inputColumns(pipeline).map { tensor($0.name, datatype($0.type), [-1]) }),
            "outputs": .array(outputs),
        ]
        if let labels = pipeline.classLabels { body["parameters"] = .object(["class_labels": .array(labels.map { .string($0) })]) }
        return .object(body)
    }

    private static func tensor(_ name: String, _ type: String, _ shape: [Int]) -> JSONValue {
        .object(["name": .string(name), "datatype": .string(type), "shape": .array(shape.map { .int(Int64($0)) })])
    }
}
