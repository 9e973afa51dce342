import Foundation
import TernTensor

/// Images with one class label each, e.g. MNIST: `images` has shape
/// `(n, height, width)` and `labels` has shape `(n)`.
public struct LabeledImages: Sendable, Equatable {
    /// The pixels, sample axis first: `(n, height, width)`.
    public var images: Tensor<UInt8>
    /// One class index per sample: `(n)`.
    public var labels: Tensor<Int32>

    /// Pairs images with labels.
    /// - Throws: ``DatasetError`` when the labels are not rank 1, the images
    ///   have no sample axis, or the counts differ.
    public init(images: Tensor<UInt8>, labels: Tensor<Int32>) throws {
        guard images.rank >= 1 else {
            throw DatasetError.invalidShape(role: "images", shape: images.shape, expected: "(n, ...)")
        }
        guard labels.rank == 1 else {
            throw DatasetError.invalidShape(role: "labels", shape: labels.shape, expected: "(n)")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw DatasetError.countMismatch(images: images.shape[0], labels: labels.shape[0])
        }
        self.images = images
        self.labels = labels
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// Samples `range`, copied.
    /// - Throws: ``DatasetError/rangeOutOfBounds(lower:upper:count:)`` when
    ///   the range reaches outside `0..<count`.
    public func slice(_ range: Range<Int>) throws -> LabeledImages {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw DatasetError.rangeOutOfBounds(lower: range.lowerBound, upper: range.upperBound, count: count)
        }
        return try LabeledImages(images: images.slice(rows: range), labels: labels.slice(rows: range))
    }

    /// Samples `rows`, copied.
    /// - Throws: ``DatasetError/rangeOutOfBounds(lower:upper:count:)``.
    public func slice(_ rows: RowRange) throws -> LabeledImages { try slice(rows.range) }

    /// The samples repeated `times` times, in order (`0, 1, ..., n-1, 0, 1, ...`).
    /// - Throws: ``DatasetError/invalidRepeatCount(_:reason:)`` when `times`
    ///   is below 1 or the result would hold more than 2^31 - 1 elements.
    public func tiled(times: Int) throws -> LabeledImages {
        guard times >= 1 else { throw DatasetError.invalidRepeatCount(times, reason: "the count must be at least 1") }
        let (total, overflow) = images.count.multipliedReportingOverflow(by: times)
        guard !overflow, total <= Int(Int32.max) else {
            throw DatasetError.invalidRepeatCount(times, reason: "the result would exceed \(Int32.max) elements")
        }
        return try LabeledImages(images: Self.repeated(images, times), labels: Self.repeated(labels, times))
    }

    private static func repeated<S: TensorScalar>(_ t: Tensor<S>, _ times: Int) -> Tensor<S> {
        var dims = t.shape.dimensions
        dims[0] *= times
        var out = Tensor<S>(uninitialized: Shape(dims))
        let n = t.count
        guard n > 0 else { return out }
        out.withUnsafeMutableBufferPointer { dst in
            t.withUnsafeBufferPointer { src in
                guard let dstBase = dst.baseAddress, let srcBase = src.baseAddress else { return }
                for k in 0..<times { (dstBase + k * n).update(from: srcBase, count: n) }
            }
        }
        return out
    }
}

/// Loader for the MNIST handwritten digits in their original IDX files.
public enum MNIST {
    /// Image height and width.
    public static let side = 28
    /// Digits 0-9.
    public static let classCount = 10

    /// Loads `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte`
    /// (each optionally with `.gz`) from `directory`.
    /// - Parameters:
    ///   - directory: the directory holding the files, e.g.
    ///     ``DataLocation/mnistDirectory``.
    ///   - split: `t10k` (the test set) or `train`.
    /// - Throws: ``DatasetError`` for missing files, wrong shapes, count
    ///   mismatches or labels above 9; ``IDXError`` for malformed files.
    public static func load(directory: URL, split: String = "t10k") throws -> LabeledImages {
        guard !split.isEmpty, split.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }) else {
            throw DatasetError.invalidSplit(split)
        }
        let imageArray = try IDX.read(contentsOf: try locate("\(split)-images-idx3-ubyte", in: directory))
        let labelArray = try IDX.read(contentsOf: try locate("\(split)-labels-idx1-ubyte", in: directory))
        let images = try imageArray.idxTensor(of: UInt8.self)
        let rawLabels = try labelArray.idxTensor(of: UInt8.self)
        guard images.rank == 3, images.shape[1] == side, images.shape[2] == side else {
            throw DatasetError.invalidShape(role: "MNIST images", shape: images.shape, expected: "(n, 28, 28)")
        }
        guard rawLabels.rank == 1 else {
            throw DatasetError.invalidShape(role: "MNIST labels", shape: rawLabels.shape, expected: "(n)")
        }
        var labels = Tensor<Int32>(uninitialized: rawLabels.shape)
        try labels.withUnsafeMutableBufferPointer { dst in
            try rawLabels.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    guard Int(src[i]) < classCount else {
                        throw DatasetError.labelOutOfRange(index: i, value: Int(src[i]), classCount: classCount)
                    }
                    dst[i] = Int32(src[i])
                }
            }
        }
        return try LabeledImages(images: images, labels: labels)
    }

    /// `directory/name`, or `directory/name.gz` when only that exists.
    private static func locate(_ name: String, in directory: URL) throws -> URL {
        let plain = directory.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: plain.path) { return plain }
        let gzipped = directory.appendingPathComponent(name + ".gz")
        if FileManager.default.fileExists(atPath: gzipped.path) { return gzipped }
        throw DatasetError.missingFile(name: name, directory: directory.lastPathComponent)
    }
}

/// Where the project's data sets live: the repository's `Data/` folder
/// (MNIST in `mnist/`, CSVs in `tabular/`), or `$TERN_DATA_DIR`.
public enum DataLocation {
    /// The environment variable that overrides ``defaultDirectory``.
    public static let environmentVariable = "TERN_DATA_DIR"

    /// `$TERN_DATA_DIR` when set and non-empty; else the `Data/` folder of
    /// the checkout the running binary was built in (found beside the
    /// executable, then by the source path compiled in); else `Data`
    /// relative to the current directory.
    public static var defaultDirectory: URL {
        directory(
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
    }

    /// `<defaultDirectory>/mnist`.
    public static var mnistDirectory: URL { defaultDirectory.appendingPathComponent("mnist", isDirectory: true) }

    /// `<defaultDirectory>/tabular`.
    public static var tabularDirectory: URL { defaultDirectory.appendingPathComponent("tabular", isDirectory: true) }

    /// The data directory for a given environment and working directory.
    public static func directory(environment: [String: String], currentDirectory: URL,
                                 candidates: [URL] = repositoryCandidates) -> URL {
        if let dir = environment[environmentVariable], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true, relativeTo: currentDirectory).standardizedFileURL
        }
        for root in candidates {
            let data = root.appendingPathComponent("Data", isDirectory: true)
            if FileManager.default.fileExists(atPath: data.appendingPathComponent("SHA256SUMS").path) { return data }
        }
        return currentDirectory.appendingPathComponent("Data", isDirectory: true).standardizedFileURL
    }

    /// Checkouts that may hold `Data/`: the folders above the running
    /// executable (`.build/<config>/tern` sits three levels below the
    /// checkout), then the checkout this file was compiled from.
    public static let repositoryCandidates: [URL] = {
        var roots: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "", isDirectory: false)
            .resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            roots.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        // Sources/TernData/Dataset.swift → the checkout.
        roots.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent())
        return roots
    }()
}
