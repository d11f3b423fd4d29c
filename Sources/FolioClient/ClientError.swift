#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures of the client itself, as opposed to errors the server answered with.
public enum ClientError: Error, CustomStringConvertible {
    case connect(path: String, errno: Int32)
    case io(String, errno: Int32)
    case closed
    case oversizedResponse(UInt32)
    case malformedResponse(String)

    public var description: String {
        switch self {
        case .connect(let path, let e): "cannot connect to \(path): \(String(cString: strerror(e)))"
        case .io(let what, let e): "\(what) failed: \(String(cString: strerror(e)))"
        case .closed: "the server closed the connection"
        case .oversizedResponse(let n): "response frame of \(n) bytes exceeds the client limit"
        case .malformedResponse(let why): "malformed response: \(why)"
        }
    }
}

