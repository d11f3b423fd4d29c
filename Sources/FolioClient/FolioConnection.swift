#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FolioWire

/// A blocking connection to `foliod` over its Unix socket. One connection is used by
/// one thread at a time; open several for concurrency.
public final class FolioConnection {
    /// The default socket path of the contract.
    public static let defaultSocketPath = "/run/folio/folio.sock"

    private let fd: Int32
    private var nextID = 1
    private var readBuffer: [UInt8] = []
    private var readOffset = 0

    /// Connects to the server's socket. With `receiveTimeout` (seconds), a response that
    /// does not arrive in time fails with an I/O error instead of waiting forever.
    public init(socketPath: String, receiveTimeout: Int? = nil) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.io("socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            close(fd)
            throw ClientError.connect(path: socketPath, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw ClientError.connect(path: socketPath, errno: e)
        }
        if let receiveTimeout {
            var limit = timeval(tv_sec: receiveTimeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Calls one method and returns its result, throwing the server's `RPCError` on failure.
    public func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        let id = nextID
        nextID += 1
        try send(RPCRequest(id: .number(String(id)), method: method, params: params).json)
        let response = try receiveJSON()
        return try RPCResponse.outcome(response).get()
    }

    /// Sends one JSON value as a frame.
    public func send(_ message: JSON) throws {
        try sendFrame(JSONWriter.bytes(message))
    }

    /// Sends a frame with the given payload.
    public func sendFrame(_ payload: [UInt8]) throws {
        try sendRaw(Frame.encode(payload))
    }

    /// Writes bytes as they are: for tests of framing edge cases.
    public func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a closed peer is an error to report, not a SIGPIPE that kills the process.
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.io("write", errno: errno)
            }
            offset += n
        }
    }

    /// Reads one frame and parses it.
    public func receiveJSON() throws -> JSON {
        let payload = try receiveFrame()
        do {
            return try JSONParser.parse(payload)
        } catch {
            throw ClientError.malformedResponse(error.description)
        }
    }

    /// Reads one frame's payload.
    public func receiveFrame() throws -> [UInt8] {
        let header = try readExactly(Frame.headerSize)
        let length = Frame.length(of: header)
        guard length <= Frame.maximumResponseBytes else { throw ClientError.oversizedResponse(length) }
        return try readExactly(Int(length))
    }

    /// Waits up to `timeoutMilliseconds` for the server to close the connection;
    /// true when it did (nothing more to read).
    public func waitForClose(timeoutMilliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) <= 0  // end of file, or reset by a peer that closed with unread input
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while readBuffer.count - readOffset < count {
            if readOffset > 0 {
                readBuffer.removeFirst(readOffset)
                readOffset = 0
            }
            var chunk = [UInt8](repeating: 0, count: max(65536, count - readBuffer.count))
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.io("read", errno: errno)
            }
            if n == 0 { throw ClientError.closed }
            readBuffer.append(contentsOf: chunk[0..<n])
        }
        let bytes = Array(readBuffer[readOffset..<readOffset + count])
        readOffset += count
        return bytes
    }
}
