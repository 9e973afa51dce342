#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whole-file writes that readers see complete or not at all, and that
/// survive a crash once they return: the bytes go to a temporary file in
/// the same directory, which is fsynced, renamed over the target, and the
/// directory fsynced so the rename itself is durable.
public enum AtomicFile {
    /// Why a write failed: the file's name (never its path) and the system's reason.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let name: String
        public let reason: String
        public var description: String { "cannot write '\(name)': \(reason)" }
    }

    /// Writes `bytes` to `url` atomically and durably.
    /// - Throws: ``WriteError``; the temporary file is removed.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(name: url.lastPathComponent, reason: systemError()) }
        var failure: String?
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { failure = systemError(); return }
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = systemError() }
        close(fd)
        if failure == nil, rename(tmp.path, url.path) != 0 { failure = systemError() }
        if let failure {
            unlink(tmp.path)
            throw WriteError(name: url.lastPathComponent, reason: failure)
        }
        syncDirectory(of: url)
    }

    /// fsyncs a finished file, renames it to `final` and fsyncs the
    /// directory (for files written piece by piece, e.g. downloads).
    /// - Throws: ``WriteError``.
    public static func commit(_ part: URL, to final: URL) throws {
        let fd = open(part.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(name: final.lastPathComponent, reason: systemError()) }
        let synced = fsync(fd)
        close(fd)
        guard synced == 0 else { throw WriteError(name: final.lastPathComponent, reason: systemError()) }
        guard rename(part.path, final.path) == 0 else { throw WriteError(name: final.lastPathComponent, reason: systemError()) }
        syncDirectory(of: final)
    }

    private static func syncDirectory(of url: URL) {
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { return }
        _ = fsync(dir)
        close(dir)
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
