import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A new IPv4 TCP socket.
func tcpSocket() throws -> Int32 {
    #if os(Linux)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw CLIError("socket() failed: \(errno)") }
    return fd
}

/// 127.0.0.1:`port` (0: any free port, when binding).
func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    return address
}

/// A hand-driven HTTP/1.1 connection to a loopback port, for requests a
/// URL session cannot make: a body sent in parts, or never finished.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`, from 127.0.0.`source` when given (a
    /// second loopback address, to act as another client).
    init(port: Int, source: UInt8? = nil) throws {
        fd = try tcpSocket()
        if let source {
            var local = loopbackAddress(port: 0)
            local.sin_addr.s_addr = in_addr_t(0x7F00_0000 | UInt32(source)).bigEndian
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw CLIError("bind() to 127.0.0.\(source) failed: \(errno)")
            }
        }
        var address = loopbackAddress(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw CLIError("connect() to port \(port) failed: \(errno)")
        }
    }

    deinit { close(fd) }

    /// The head of a request with a body of `length` bytes.
    static func head(_ method: String, _ path: String, key: String, contentType: String, length: Int) -> [UInt8] {
        Array("""
            \(method) \(path) HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(key)\r
            Content-Type: \(contentType)\r
            Content-Length: \(length)\r
            Connection: close\r
            \r

            """.utf8)
    }

    /// Sends all of `bytes` (without SIGPIPE if the peer is gone).
    func write(_ bytes: some Collection<UInt8>) throws {
        let buffer = Array(bytes)
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { send(fd, $0.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw CLIError("send() failed: \(errno)") }
            offset += n
        }
    }

    /// Reads until the peer closes the connection or `timeout` passes, and
    /// returns the status code and body of the response (nil status when
    /// no response head arrived).
    func readResponse(timeout: Duration) -> (status: Int?, body: [UInt8]) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&poller, 1, ms) > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            received.append(contentsOf: chunk[0..<n])
        }
        return Self.parse(received)
    }

    /// Reads what arrives within `timeout` without waiting for the peer to
    /// close (an interim `100 Continue`, say), as text.
    func readAvailable(timeout: Duration) -> String {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, ms) > 0 else { return "" }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: chunk[0..<n], as: UTF8.self) : ""
    }

    private static func parse(_ bytes: [UInt8]) -> (status: Int?, body: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            return (nil, [])
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return (status, Array(bytes[(end + 4)...]))
    }
}
