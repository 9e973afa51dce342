/// The in-memory form of an ONNX model, independent of protobuf: what the
/// loader (`ONNXModelFile`) produces from a `.onnx` file after validating it,
/// and what the executor (`ONNXExecutor`) runs. Names follow the ONNX spec
/// (onnx/onnx.proto); only the parts Tern uses are kept. Element types are
/// Tern's ``DType`` (the loader maps ONNX's numbers, `ONNXDataTypes.swift`).

import TernTensor

/// A constant tensor from the file (an initializer or a tensor attribute),
/// normalised by the loader: whatever field the file used (`raw_data`,
/// `float_data`, `int64_data`, ...), `bytes` holds the elements as raw
/// little-endian values, and its length has been checked against `shape`.
/// BOOL is one byte per element (0 or 1).
public struct ONNXTensorData: Sendable, Equatable {
    public var name: String
    /// The element type (never ``DType/string``: the loader refuses STRING tensors).
    public var dtype: DType
    /// The dimensions (rank 0 is a scalar, one element).
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// The element count, the product of `shape` (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}

/// A node attribute (`AttributeProto`), by its typed value.
public enum ONNXAttribute: Sendable, Equatable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXTensorData)
    case floats([Float])
    case ints([Int64])
    case strings([String])
}

/// One operator application (`NodeProto`).
public struct ONNXNode: Sendable, Equatable {
    /// The node's name in the file; the loader fills in `"<opType>_<index>"`
    /// when the file leaves it empty, so errors can always name the node.
    public var name: String
    public var opType: String
    /// "" (or "ai.onnx") for the default operator set.
    public var domain: String
    /// Value names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: ONNXAttribute] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// One dimension of a declared shape: a number, or a symbolic name such as
/// "batch" (or unnamed) for a dimension fixed only at run time.
public enum ONNXDimension: Sendable, Equatable {
    case fixed(Int)
    case symbolic(String)
}

/// A graph input or output's declared name, element type and shape
/// (`ValueInfoProto` with a tensor type). `shape` is nil when the file does
/// not declare one.
public struct ONNXValueInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [ONNXDimension]?

    public init(name: String, dtype: DType, shape: [ONNXDimension]?) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// The declared dimensions with -1 for each symbolic one (nil when no
    /// shape is declared), as V2 metadata writes them.
    public var dimensions: [Int]? {
        shape?.map { dim in
            if case let .fixed(n) = dim { return n }
            return -1
        }
    }
}

/// A whole model: the main graph and the operator-set version it targets.
public struct ONNXGraph: Sendable, Equatable {
    /// Nodes in file order (the executor sorts them and rejects cycles).
    public var nodes: [ONNXNode]
    /// Constant tensors by name.
    public var initializers: [String: ONNXTensorData]
    /// The inputs a caller must feed: graph inputs that are not initializers.
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    /// The version of the default ("" / "ai.onnx") operator set.
    public var opsetVersion: Int
    /// `producer_name` and `producer_version`, for display ("pytorch 2.5").
    public var producer: String

    public init(nodes: [ONNXNode], initializers: [String: ONNXTensorData], inputs: [ONNXValueInfo],
                outputs: [ONNXValueInfo], opsetVersion: Int, producer: String = "") {
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.opsetVersion = opsetVersion
        self.producer = producer
    }
}
