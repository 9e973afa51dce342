import TernTensor

/// Errors from building, slicing and loading datasets, and from parsing
/// row ranges.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Images and labels hold different numbers of samples.
    case countMismatch(images: Int, labels: Int)
    /// A tensor has the wrong rank or dimensions for its role.
    case invalidShape(role: String, shape: Shape, expected: String)
    /// A label is not a valid class index.
    case labelOutOfRange(index: Int, value: Int, classCount: Int)
    /// A row range reaches outside `0..<count`.
    case rangeOutOfBounds(lower: Int, upper: Int, count: Int)
    /// A repeat count below 1, or one that makes the dataset too large.
    case invalidRepeatCount(Int, reason: String)
    /// A file of the dataset was not found (file name, directory name).
    case missingFile(name: String, directory: String)
    /// A split name that is not a plain word (it would name another file).
    case invalidSplit(String)
    /// Text that is not a row range `start:end`.
    case malformedRange(String, reason: String)

    public var description: String {
        switch self {
        case let .countMismatch(images, labels):
            return "dataset has \(images) images but \(labels) labels"
        case let .invalidShape(role, shape, expected):
            return "\(role) have shape \(shape), expected \(expected)"
        case let .labelOutOfRange(index, value, classCount):
            return "label \(index) is \(value), expected a class index below \(classCount)"
        case let .rangeOutOfBounds(lower, upper, count):
            return "row range \(lower):\(upper) is out of bounds for \(count) samples"
        case let .invalidRepeatCount(times, reason):
            return "cannot tile a dataset \(times) times: \(reason)"
        case let .missingFile(name, directory):
            return "dataset file '\(name)' (or '\(name).gz') not found in directory '\(directory)'"
        case let .invalidSplit(split):
            return "invalid split name '\(split)': use letters, digits and '-' only, e.g. 't10k' or 'train'"
        case let .malformedRange(text, reason):
            return "invalid row range '\(text)': \(reason); expected start:end, e.g. 0:8000"
        }
    }
}
