import Foundation
import TernData
import TernTensor

/// A Tern model served like any other.
///
/// A network takes one input, `input`, of the spec's element type and
/// shape (any numeric element type is converted; uint8 pixels stay bytes)
/// and answers `output`, float32. A table model takes one input per raw
/// column (strings for categorical and date columns, numbers for the
/// others, `[n]` or `[n, 1]`, missing values allowed) and answers `output`
/// (probabilities or values) and, for a classifier, `label` (the class
/// name of each row). Columns its pipeline drops, and the target, are
/// optional inputs it ignores.
extension TernModel: ServableModel {
    /// The name of a network's single input.
    public static let inputName = "input"
    /// The name of every Tern model's float32 output.
    public static let outputName = "output"
    /// The name of a table classifier's class-name output.
    public static let labelOutputName = "label"

    public var platform: String { "tern" }

    public var inputs: [TensorInfo] {
        guard let tabular else {
            return [TensorInfo(name: Self.inputName, dtype: spec.input.dtype, shape: [nil] + spec.input.shape.dimensions.map { $0 })]
        }
        let serving = Set(Self.servingColumns(tabular).map(\.name))
        return tabular.inputColumns.map { column in
            TensorInfo(name: column.name, dtype: Self.dtype(of: column.type), shape: [nil], optional: !serving.contains(column.name))
        }
    }

    public var outputs: [TensorInfo] {
        var outputs = [TensorInfo(name: Self.outputName, dtype: .float32, shape: [nil] + network.outputShape.dimensions.map { $0 })]
        if tabular?.classLabels != nil { outputs.append(TensorInfo(name: Self.labelOutputName, dtype: .string, shape: [nil])) }
        return outputs
    }

    public var memoryBytes: Int { network.parameters.reduce(0) { $0 + $1.value.count * MemoryLayout<Float>.size } }

    public var supportsBatching: Bool { true }

    public var classLabels: [String]? { tabular?.classLabels }

    public func conversion(for input: String) -> InputConversion { tabular == nil ? .anyNumber : .anyWithMissing }

    public func predictionBytes(batch: Int) -> Int? { predictionBytes(batch: batch) as Int }

    /// A network's zero sample; none for a table model (an empty row may
    /// be one its pipeline refuses).
    public var warmUpInputs: [String: AnyTensor]? {
        guard tabular == nil else { return nil }
        return [Self.inputName: .float32(Tensor(zeros: spec.input.shape.batched(1)))]
    }

    public func predict(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor] {
        if let tabular { return try predictTable(inputs, tabular) }
        guard let input = inputs[Self.inputName] ?? (inputs.count == 1 ? inputs.first?.value : nil) else {
            throw ModelInputError("missing input '\(Self.inputName)'")
        }
        return [Self.outputName: .float32(try predictNetwork(input))]
    }

    /// The raw columns a table model needs: its training columns minus the
    /// target and those its pipeline drops.
    public static func servingColumns(_ pipeline: FittedTabularPipeline) -> [TabularInputColumn] {
        let dropped = Set(pipeline.steps.flatMap { step -> [String] in
            if case .dropColumns = step.step { return step.columns }
            return []
        })
        return pipeline.inputColumns.filter { $0.name != pipeline.target && !dropped.contains($0.name) }
    }

    /// The element type a column is served as.
    public static func dtype(of type: ColumnType) -> DType {
        switch type {
        case .categorical, .datetime: return .string
        case .boolean: return .bool
        case .integer, .float: return .float32
        }
    }

    // MARK: Networks

    private func predictNetwork(_ input: AnyTensor) throws -> Tensor<Float> {
        let batch = input.rows
        guard input.shape.rank >= 1, input.count == batch * spec.input.shape.count else {
            throw ModelInputError("the model takes inputs of shape \(spec.input.shape) per sample, got \(input.shape)")
        }
        if batch == 0 { return Tensor(zeros: network.outputShape.batched(0)) }
        do {
            switch input {
            case let .uint8(t): return try predict(t)
            case let .float32(t): return try predict(t)
            default:
                guard input.dtype != .string else { throw ModelInputError("the model takes numbers, got strings") }
                let values = input.doubleScalars
                // Integers that fit a byte feed a byte input as bytes, as a UINT8 tensor would.
                if spec.input.dtype == .uint8, input.dtype != .float16, input.dtype != .float32, input.dtype != .float64,
                   values.allSatisfy({ $0 >= 0 && $0 <= 255 }) {
                    return try predict(Tensor(shape: input.shape, scalars: values.map { UInt8($0) }))
                }
                var floats = [Float]()
                floats.reserveCapacity(values.count)
                for (i, v) in values.enumerated() {
                    guard v.isFinite, abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                        throw ModelInputError("element \(i) (\(v)) is not a finite 32-bit float")
                    }
                    floats.append(Float(v))
                }
                return try predict(Tensor(shape: input.shape, scalars: floats))
            }
        } catch let error as FormatError {
            throw ModelInputError(error.description)
        } catch let error as TensorError {
            throw ModelInputError(error.description)
        }
    }

    // MARK: Tables

    private func predictTable(_ inputs: [String: AnyTensor], _ pipeline: FittedTabularPipeline) throws -> [String: AnyTensor] {
        var columns: [Column] = []
        var rows: Int?
        for column in Self.servingColumns(pipeline) {
            guard let tensor = inputs[column.name] else { throw ModelInputError("missing column '\(column.name)'") }
            guard (1...2).contains(tensor.shape.rank), tensor.count == tensor.rows else {
                throw ModelInputError("column '\(column.name)' must have shape [n] or [n, 1], got \(tensor.shape)")
            }
            if let rows, rows != tensor.rows {
                throw ModelInputError("column '\(column.name)' has \(tensor.rows) rows but the others have \(rows)")
            }
            rows = tensor.rows
            columns.append(try Self.column(column, tensor))
        }
        let features: Tensor<Float>
        do {
            features = try pipeline.transform(Table(columns: columns), training: false).features
        } catch {
            throw ModelInputError("\(error)")
        }
        let output = features.shape[0] == 0 ? Tensor(zeros: network.outputShape.batched(0)) : try network.predict(features)
        var answer: [String: AnyTensor] = [Self.outputName: .float32(output)]
        if pipeline.classLabels != nil {
            let n = output.rank > 0 ? output.shape[0] : 0
            let width = n > 0 ? output.count / n : 0
            let labels = output.withUnsafeBufferPointer { values in
                (0..<n).map { r -> String? in
                    let row = values[(r * width)..<((r + 1) * width)]
                    let index = width == 1 ? (row[row.startIndex] > 0.5 ? 1 : 0)
                        : (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - row.startIndex
                    return pipeline.decodeClass(index)
                }
            }
            answer[Self.labelOutputName] = .string(try StringTensor(shape: Shape([n]), values: labels))
        }
        return answer
    }

    /// A column in the form the pipeline conforms: numbers for numeric
    /// columns (text parsed, NaN missing), text for categorical and date
    /// columns (numbers written as text).
    static func column(_ input: TabularInputColumn, _ tensor: AnyTensor) throws -> Column {
        let name = input.name
        switch (input.type, tensor) {
        case (.integer, .string(let t)), (.float, .string(let t)), (.boolean, .string(let t)):
            return Column(name: name, type: input.type, values: .numbers(try t.values.map { text -> Double? in
                guard let text else { return nil }
                if let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
                if input.type == .boolean, let b = ["true": 1.0, "false": 0.0][text.lowercased()] { return b }
                throw ModelInputError("column '\(name)' takes numbers, got '\(text.prefix(32))'")
            }))
        case (.integer, _), (.float, _), (.boolean, _):
            return Column(name: name, type: input.type, values: .numbers(tensor.doubleScalars.map { $0.isNaN ? nil : $0 }))
        case (.categorical, .string(let t)), (.datetime, .string(let t)):
            return Column(name: name, type: input.type, values: .strings(t.values))
        case (.categorical, _), (.datetime, _):
            return Column(name: name, type: input.type, values: .strings(tensor.doubleScalars.map { d -> String? in
                guard !d.isNaN else { return nil }
                return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            }))
        }
    }
}
