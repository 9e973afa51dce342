/// The operators ``ONNXExecutor`` implements, by ONNX operator name. Each
/// entry checks one node's attributes and inputs and returns its kernel; the
/// implementations live in the `ONNXOps+*.swift` files, one per family.
enum ONNXOps {
    typealias Compiler = @Sendable (ONNXNodeContext) throws -> ONNXKernel

    /// Every operator: the computing ones (which take FLOAT16 through
    /// FLOAT) and the ones that move or convert elements of any type.
    static let registry: [String: Compiler] = computing.merging(moving) { first, _ in first }

    /// Operators that compute, on FLOAT (and DOUBLE, integers where ONNX
    /// allows them); FLOAT16 runs through FLOAT (ONNXOps+Float16).
    static let computing: [String: Compiler] = promotingFloat16([
        // Elementwise arithmetic and comparison (ONNXOps+Elementwise).
        "Add": binaryArithmetic(.add), "Sub": binaryArithmetic(.sub), "Mul": binaryArithmetic(.mul),
        "Div": binaryArithmetic(.div), "Pow": binaryArithmetic(.pow),
        "Equal": comparison(.equal), "Less": comparison(.less), "Greater": comparison(.greater),
        "LessOrEqual": comparison(.lessOrEqual), "GreaterOrEqual": comparison(.greaterOrEqual),
        // Unary maths and activations (ONNXOps+Unary).
        "Relu": unary(.relu), "LeakyRelu": leakyRelu, "Sigmoid": unary(.sigmoid), "Tanh": unary(.tanh),
        "Exp": unary(.exp), "Log": unary(.log), "Sqrt": unary(.sqrt), "Erf": unary(.erf),
        "Neg": unary(.neg), "Abs": unary(.abs), "Reciprocal": unary(.reciprocal),
        "Gelu": gelu, "Clip": clip,
        // Matrix products (ONNXOps+MatMul).
        "Gemm": gemm, "MatMul": matmul,
        // Convolution and pooling, NCHW (ONNXOps+Conv, ONNXOps+Pool).
        "Conv": conv, "MaxPool": maxPool, "AveragePool": averagePool, "GlobalAveragePool": globalAveragePool,
        // Normalisation (ONNXOps+Norm).
        "BatchNormalization": batchNormalization, "LayerNormalization": layerNormalization,
        // Reductions and softmax (ONNXOps+Reduce).
        "ReduceMean": reduce(.mean), "ReduceSum": reduce(.sum), "ArgMax": argMax,
        "Softmax": softmax(log: false), "LogSoftmax": softmax(log: true),
    ])

    /// Operators that move, select or convert elements of every type.
    static let moving: [String: Compiler] = [
        // Selection and logic (ONNXOps+Elementwise).
        "Where": whereOp, "Not": notOp,
        // Constants, copies and conversions (ONNXOps+Constant).
        "Constant": constant, "ConstantOfShape": constantOfShape, "Identity": identity, "Dropout": dropout,
        "Cast": cast,
        // Shape and layout (ONNXOps+Shape, ONNXOps+Layout).
        "Shape": shapeOp, "Flatten": flatten, "Reshape": reshape, "Transpose": transpose,
        "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Concat": concat, "Slice": slice, "Gather": gather,
        "Expand": expand,
    ]
}
