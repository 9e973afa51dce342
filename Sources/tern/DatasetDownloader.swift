import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TernSupport

/// One file of a downloadable dataset: where it comes from and what it must hash to.
struct DatasetFile: Codable, Sendable {
    /// The plain file name it is stored under in the destination directory.
    var name: String
    var url: String
    /// Lowercase hex SHA-256 of the whole file.
    var sha256: String
    /// Size in bytes, when known.
    var size: Int64?
    /// Members of a `.tar.gz` to extract beside it after it verified (by base name).
    var extract: [String]?
}

/// A dataset: a name and its files (the format of `--manifest`).
struct DatasetManifest: Codable, Sendable {
    var name: String
    var files: [DatasetFile]

    /// Checks that names are plain file names, digests are SHA-256 hex and
    /// URLs are http(s), and lowercases the digests.
    func validated(source: String) throws -> DatasetManifest {
        guard isPlainFileName(name) else { throw CLIError("\(source): the dataset name '\(name)' must be a plain name (no '/', not '.' or '..')") }
        guard !files.isEmpty else { throw CLIError("\(source): the manifest lists no files") }
        var copy = self
        var seen = Set<String>()
        for index in copy.files.indices {
            var file = copy.files[index]
            guard isPlainFileName(file.name), !file.name.hasSuffix(".part") else {
                throw CLIError("\(source): file name '\(file.name)' must be a plain file name (no '/', not '..', not ending in .part)")
            }
            guard seen.insert(file.name).inserted else { throw CLIError("\(source): file '\(file.name)' is listed twice") }
            file.sha256 = file.sha256.lowercased()
            guard file.sha256.count == 64, file.sha256.allSatisfy(\.isHexDigit) else {
                throw CLIError("\(source): sha256 of '\(file.name)' must be 64 hex digits")
            }
            guard let url = URL(string: file.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw CLIError("\(source): url of '\(file.name)' must be an http(s) URL, got '\(file.url)'")
            }
            if let size = file.size, size < 0 { throw CLIError("\(source): size of '\(file.name)' is negative") }
            for member in file.extract ?? [] where !isPlainFileName(member) {
                throw CLIError("\(source): extract entry '\(member)' of '\(file.name)' must be a plain file name")
            }
            copy.files[index] = file
        }
        return copy
    }
}

func isPlainFileName(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
}

/// The built-in datasets.
///
/// The SHA-256 digests and sizes are those recorded by TensorFlow Datasets in
/// tensorflow/datasets, `tensorflow_datasets/url_checksums/fashion_mnist.txt`
/// (the same four files Zalando publishes, which Keras mirrors on
/// storage.googleapis.com) and `tensorflow_datasets/url_checksums/cifar10.txt`.
enum DatasetCatalog {
    static let keras = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

    static let fashionMNIST = DatasetManifest(name: "fashion-mnist", files: [
        DatasetFile(name: "train-images-idx3-ubyte.gz", url: keras + "train-images-idx3-ubyte.gz",
                    sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", size: 26_421_880),
        DatasetFile(name: "train-labels-idx1-ubyte.gz", url: keras + "train-labels-idx1-ubyte.gz",
                    sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", size: 29_515),
        DatasetFile(name: "t10k-images-idx3-ubyte.gz", url: keras + "t10k-images-idx3-ubyte.gz",
                    sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", size: 4_422_102),
        DatasetFile(name: "t10k-labels-idx1-ubyte.gz", url: keras + "t10k-labels-idx1-ubyte.gz",
                    sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", size: 5_148),
    ])

    /// The binary version (not the Python pickles, which are unsafe to load).
    static let cifar10 = DatasetManifest(name: "cifar10", files: [
        DatasetFile(name: "cifar-10-binary.tar.gz", url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                    sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", size: 170_052_171,
                    extract: ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                              "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"]),
    ])

    static let all: [DatasetManifest] = [cifar10, fashionMNIST]

    static func named(_ name: String) -> DatasetManifest? { all.first { $0.name == name } }
}

/// Downloads files with resume (`Range`), retries and SHA-256 verification;
/// a file appears under its final name only once it verified.
final class DatasetDownloader {
    enum Outcome { case alreadyPresent, downloaded }

    let client: HTTPClient
    let progressEnabled: Bool
    let attempts: Int
    let backoff: [Double]

    init(progress: Bool, attempts: Int = 5) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 10, allowCycles: false),
            timeout: .init(connect: .seconds(20), read: .seconds(60)))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        progressEnabled = progress
        self.attempts = attempts
        backoff = [0.2, 0.5, 1, 2, 4]
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// Makes `directory/file.name` hold the verified file.
    func fetch(_ file: DatasetFile, into directory: URL) async throws -> Outcome {
        let final = directory.appendingPathComponent(file.name)
        let part = directory.appendingPathComponent(file.name + ".part")
        if FileManager.default.fileExists(atPath: final.path) {
            if try sha256(of: final) == file.sha256 { return .alreadyPresent }
            note("\(file.name): the file on disk does not match its SHA-256; downloading it again")
        }
        // A leftover .part that cannot be a prefix of the file, or that is
        // complete but wrong, is of no use.
        if let size = file.size, let partSize = fileSize(part), partSize >= size {
            if partSize == size, try sha256(of: part) == file.sha256 {
                try commit(part, to: final, in: directory)
                return .downloaded
            }
            try? FileManager.default.removeItem(at: part)
        }

        var attempt = 0
        while true {
            attempt += 1
            do {
                try await download(file, to: part)
                break
            } catch let error as TransferError {
                guard case let .retryable(reason) = error, attempt < attempts else {
                    throw CLIError(error.message(url: file.url))
                }
                let have = fileSize(part) ?? 0
                let next = have > 0 ? "resuming at \(formatBytes(have))" : "retrying"
                note("\(file.name): \(reason); \(next) (attempt \(attempt + 1) of \(attempts))")
                try await Task.sleep(nanoseconds: UInt64(backoff[min(attempt - 1, backoff.count - 1)] * 1e9))
            }
        }

        let digest = try sha256(of: part)
        guard digest == file.sha256 else {
            try? FileManager.default.removeItem(at: part)
            throw CLIError("checksum mismatch for \(file.name): expected \(file.sha256), got \(digest); the download was discarded")
        }
        try commit(part, to: final, in: directory)
        return .downloaded
    }

    enum TransferError: Error {
        case retryable(String)
        case fatal(String)

        func message(url: String) -> String {
            switch self {
            case let .retryable(reason), let .fatal(reason): return "cannot download \(url): \(reason)"
            }
        }
    }

    /// One attempt: appends to `part` from its current size to the end.
    private func download(_ file: DatasetFile, to part: URL) async throws {
        var offset = fileSize(part) ?? 0
        var request = HTTPClientRequest(url: file.url)
        request.headers.add(name: "User-Agent", value: "tern-datasets-fetch")
        if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }

        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .hours(24))
        } catch let error as NIOConnectionError where error.dnsAError != nil || error.dnsAAAAError != nil {
            // A name that does not resolve will not resolve a second later.
            throw TransferError.fatal("cannot resolve the host \(error.host)")
        } catch {
            throw TransferError.retryable("\(describeTransfer(error))")
        }
        let status = Int(response.status.code)
        var total: Int64? = file.size
        let truncate: Bool
        switch status {
        case 206:
            guard let range = response.headers.first(name: "Content-Range").flatMap(ContentRange.init), range.start == offset else {
                // Not the bytes asked for: start over.
                try? FileManager.default.removeItem(at: part)
                throw TransferError.retryable("the server answered the range request with a different range")
            }
            if let length = range.total { total = length }
            truncate = false
        case 200:
            offset = 0
            truncate = true
            if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init) { total = length }
        case 416 where offset > 0:
            // The .part is not a prefix of what the server has now.
            try? FileManager.default.removeItem(at: part)
            throw TransferError.retryable("the server cannot resume at \(formatBytes(offset))")
        case 408, 429, 500...599:
            throw TransferError.retryable("HTTP \(status) \(response.status.reasonPhrase)")
        default:
            throw TransferError.fatal("HTTP \(status) \(response.status.reasonPhrase)")
        }

        let fd = open(part.path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0o644)
        guard fd >= 0 else { throw TransferError.fatal("cannot write \(part.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }

        let progress = Progress(name: file.name, total: total, start: offset, enabled: progressEnabled)
        var received = offset
        do {
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { bytes in try writeAll(fd, bytes, path: part.path) }
                received += Int64(chunk.readableBytes)
                progress.update(received)
                if let total, received > total {
                    throw TransferError.fatal("the server sent more than the \(total) bytes announced")
                }
            }
        } catch let error as TransferError {
            progress.interrupted()
            throw error
        } catch let error as CLIError {
            progress.interrupted()
            throw TransferError.fatal(error.description)
        } catch {
            progress.interrupted()
            throw TransferError.retryable("the connection dropped (\(describeTransfer(error)))")
        }
        if let total, received < total {
            progress.interrupted()
            throw TransferError.retryable("the connection closed after \(formatBytes(received)) of \(formatBytes(total))")
        }
        progress.finish(received)
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    private func note(_ text: String) {
        guard progressEnabled else { return }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// `Content-Range: bytes start-end/total` (total may be `*`).
struct ContentRange {
    let start: Int64
    let total: Int64?

    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst(6)
        let halves = spec.split(separator: "/", maxSplits: 1)
        guard halves.count == 2, let dash = halves[0].firstIndex(of: "-"),
              let start = Int64(halves[0][..<dash]) else { return nil }
        self.start = start
        total = Int64(halves[1])
    }
}

private func describeTransfer(_ error: any Error) -> String {
    oneLine(error)
}

func fileSize(_ url: URL) -> Int64? {
    var info = stat()
    guard stat(url.path, &info) == 0 else { return nil }
    return Int64(info.st_size)
}

/// Lowercase hex SHA-256 of a file, read in 1 MiB pieces.
func sha256(of url: URL) throws -> String {
    guard let handle = try? FileHandle(forReadingFrom: url) else { throw CLIError("cannot read \(url.path)") }
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
        hasher.update(data: chunk)
    }
    return hexString(hasher.finalize())
}

/// fsyncs `part`, renames it to `final` and fsyncs the directory, so the
/// final name only ever holds a complete file (``AtomicFile/commit(_:to:)``).
func commit(_ part: URL, to final: URL, in directory: URL) throws {
    do { try AtomicFile.commit(part, to: final) } catch let error as AtomicFile.WriteError { throw CLIError(error.description) }
}

/// `12.3 MB` style sizes (decimal units, like Keras and curl).
func formatBytes(_ count: Int64) -> String {
    let value = Double(count)
    if value < 1000 { return "\(count) B" }
    if value < 1e6 { return String(format: "%.1f kB", value / 1e3) }
    if value < 1e9 { return String(format: "%.1f MB", value / 1e6) }
    return String(format: "%.2f GB", value / 1e9)
}

/// A progress bar on standard error: redrawn in place on a terminal, a few
/// plain lines (every 25%) otherwise.
final class Progress {
    let name: String
    let total: Int64?
    let start: Int64
    let enabled: Bool
    let interactive: Bool
    let began = Date()
    var lastDraw = Date.distantPast
    var lastQuarter: Int
    var drewInPlace = false

    init(name: String, total: Int64?, start: Int64, enabled: Bool) {
        self.name = name
        self.total = total
        self.start = start
        self.enabled = enabled
        interactive = isatty(STDERR_FILENO) != 0
        if let total, total > 0 { lastQuarter = Int(start * 4 / total) } else { lastQuarter = 0 }
    }

    func update(_ done: Int64) {
        guard enabled else { return }
        if interactive {
            let now = Date()
            guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            emit("\r" + line(done) + "\u{1B}[K")
            drewInPlace = true
        } else if let total, total > 0 {
            let quarter = Int(done * 4 / total)
            if quarter > lastQuarter, quarter < 4 {
                lastQuarter = quarter
                emit(line(done) + "\n")
            }
        }
    }

    func finish(_ done: Int64) {
        guard enabled else { return }
        emit((interactive ? "\r" : "") + line(done, final: true) + (interactive ? "\u{1B}[K" : "") + "\n")
        drewInPlace = false
    }

    /// Ends an in-place bar so that the next message starts on a fresh line.
    func interrupted() {
        guard enabled, drewInPlace else { return }
        emit("\n")
        drewInPlace = false
    }

    private func line(_ done: Int64, final: Bool = false) -> String {
        let seconds = max(Date().timeIntervalSince(began), 1e-3)
        // The rate of the first few milliseconds means little.
        let rate = seconds < 0.5 && !final ? "" : formatBytes(Int64(Double(done - start) / seconds)) + "/s"
        guard let total, total > 0 else { return [name, formatBytes(done), rate].filter { !$0.isEmpty }.joined(separator: "  ") }
        let fraction = min(Double(done) / Double(total), 1)
        let percent = String(format: "%3d%%", Int(fraction * 100))
        if interactive {
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
            return [name, bar, "\(formatBytes(done)) / \(formatBytes(total))", percent, rate].filter { !$0.isEmpty }.joined(separator: "  ")
        }
        return ["\(name): \(formatBytes(done)) / \(formatBytes(total))", percent, rate].filter { !$0.isEmpty }.joined(separator: "  ")
    }

    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
