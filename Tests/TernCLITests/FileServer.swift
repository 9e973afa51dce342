import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small blocking HTTP/1.1 file server on 127.0.0.1 for download tests.
/// Every response closes its connection. It honours `Range: bytes=N-` with
/// 206, and can cut a response short on purpose.
final class FileServer: @unchecked Sendable {
    enum Route {
        /// Served whole (200) or from a range (206).
        case file([UInt8])
        /// The first request gets a 200 whose Content-Length is the whole
        /// file but only `cut` bytes of body before the connection closes;
        /// later requests are served like `.file`.
        case dropOnce([UInt8], cut: Int)
    }

    struct Request: Sendable {
        let path: String
        let range: String?
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var routes: [String: Route]
    private var dropped: Set<String> = []
    private var log: [Request] = []
    private var stopped = false

    init(routes: [String: Route]) throws {
        self.routes = routes
        listener = try tcpSocket()
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: 0)
        let fd = listener
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw CLIError("cannot listen on 127.0.0.1: \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// The requests seen so far.
    var requests: [Request] { lock.withLock { log } }

    func requests(for path: String) -> [Request] { requests.filter { $0.path == "/" + path } }

    func stop() {
        let first: Bool = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if lock.withLock({ stopped }) {
                close(client)
                return
            }
            let thread = Thread { [self] in
                handle(client)
                close(client)
            }
            thread.start()
        }
    }

    private func handle(_ fd: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !head.ends(with: Array("\r\n\r\n".utf8)) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 1, 0) }
            guard n > 0 else { return }
            head.append(buffer[0])
            if head.count > 65536 { return }
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1])
        let range = lines.dropFirst().first { $0.lowercased().hasPrefix("range:") }
            .map { String($0.dropFirst("range:".count)).trimmingCharacters(in: .whitespaces) }

        let (route, drop): (Route?, Bool) = lock.withLock {
            log.append(Request(path: path, range: range))
            let route = routes[String(path.dropFirst())]
            if case .dropOnce = route, !dropped.contains(path) {
                dropped.insert(path)
                return (route, true)
            }
            return (route, false)
        }
        switch route {
        case nil:
            send(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found")
        case let .dropOnce(bytes, cut) where drop:
            send(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(bytes.count)\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
            send(fd, bytes[0..<cut])
            // Let the client read what was sent before the connection goes.
            shutdown(fd, Int32(SHUT_WR))
            usleep(50_000)
        case let .file(bytes), let .dropOnce(bytes, _):
            var start = 0
            if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let from = Int(range.dropFirst(6).dropLast()) {
                guard from < bytes.count else {
                    send(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(bytes.count)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                }
                start = from
                send(fd, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes \(start)-\(bytes.count - 1)/\(bytes.count)\r\nContent-Length: \(bytes.count - start)\r\nConnection: close\r\n\r\n")
            } else {
                send(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(bytes.count)\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
            }
            send(fd, bytes[start...])
        }
    }

    private func send(_ fd: Int32, _ text: String) { send(fd, Array(text.utf8)[...]) }

    private func send(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + (offset - bytes.startIndex), bytes.endIndex - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
