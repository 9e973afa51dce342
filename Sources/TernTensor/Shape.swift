/// The dimensions of a tensor, outermost first (row-major).
public struct Shape: Hashable, Sendable, Codable, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) { self.dimensions = dimensions }
    public init(arrayLiteral elements: Int...) { self.dimensions = elements }

    public init(from decoder: any Decoder) throws {
        dimensions = try decoder.singleValueContainer().decode([Int].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dimensions)
    }

    public var rank: Int { dimensions.count }

    /// The number of elements, 1 for a scalar.
    public var count: Int { dimensions.reduce(1, *) }

    public subscript(axis: Int) -> Int {
        get { dimensions[axis] }
        set { dimensions[axis] = newValue }
    }

    /// The shape without its first (batch) dimension.
    public var droppingFirst: Shape { Shape(Array(dimensions.dropFirst())) }

    /// This shape with `batch` prepended.
    public func batched(_ batch: Int) -> Shape { Shape([batch] + dimensions) }

    public var description: String { "(" + dimensions.map(String.init).joined(separator: ", ") + ")" }

    /// Checks that every dimension is non-negative and the element count fits
    /// in `limit` without overflow.
    /// - Throws: ``TensorError/invalidShape(_:reason:)``.
    public func validated(limit: Int = Int(Int32.max)) throws -> Shape {
        var total = 1
        for d in dimensions {
            guard d >= 0 else { throw TensorError.invalidShape(dimensions, reason: "negative dimension") }
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= limit else {
                throw TensorError.invalidShape(dimensions, reason: "more than \(limit) elements")
            }
            total = product
        }
        return self
    }
}
