import TernTensor

/// What a network is trained to produce: class indices (for sparse
/// categorical cross-entropy) or values (one-hot rows, binary labels,
/// regression targets) shaped like the output.
public enum Targets: Sendable {
    case classes(Tensor<Int32>)
    case values(Tensor<Float>)

    public var count: Int {
        switch self {
        case let .classes(t): return t.shape.rank > 0 ? t.shape[0] : 0
        case let .values(t): return t.shape.rank > 0 ? t.shape[0] : 0
        }
    }

    public func gatherRows(_ indices: some Collection<Int>) -> Targets {
        switch self {
        case let .classes(t): return .classes(t.gatherRows(indices))
        case let .values(t): return .values(t.gatherRows(indices))
        }
    }

    public func slice(rows range: Range<Int>) -> Targets {
        switch self {
        case let .classes(t): return .classes(t.slice(rows: range))
        case let .values(t): return .values(t.slice(rows: range))
        }
    }
}
