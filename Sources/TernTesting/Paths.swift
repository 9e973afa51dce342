import Foundation

/// Where the tests find the project and what it built.
public enum TestPaths {
    /// The package root (three levels above this file).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The data the tests read: `$TERN_DATA_DIR` when set, else the
    /// repository's `Data/` (MNIST in `mnist/`, CSVs in `tabular/`).
    public static let dataDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["TERN_DATA_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        return packageRoot.appendingPathComponent("Data", isDirectory: true)
    }()

    /// The MNIST IDX files (train and t10k).
    public static var mnistDirectory: URL { dataDirectory.appendingPathComponent("mnist", isDirectory: true) }

    /// The tabular CSV files.
    public static var tabularDirectory: URL { dataDirectory.appendingPathComponent("tabular", isDirectory: true) }

    /// The built `tern` executable: beside the test bundle in the build
    /// folder, else in `.build/debug` or `.build/release`; nil if not built.
    public static let ternExecutable: URL? = {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("tern")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for config in ["debug", "release"] {
            let candidate = packageRoot.appendingPathComponent(".build/\(config)/tern")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()
}
