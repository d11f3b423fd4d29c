#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The little of the operating system the client needs: environment, standard error,
/// terminals, files and the local date.
enum Platform {
    /// An environment variable's value; unset and empty both count as absent.
    static func environment(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }

    /// Whether standard error is a terminal (progress is shown there).
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes `text` to standard error, unbuffered.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Whether standard output is a terminal (warnings are then shown in colour).
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// All of standard input as bytes.
    static func readStandardInput() -> [UInt8] {
        (try? readAll(STDIN_FILENO)) ?? []
    }

    /// All of a file's bytes.
    static func readFile(_ path: String) throws(FileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, action: .read, code: errno) }
        defer { close(fd) }
        do {
            return try readAll(fd)
        } catch {
            throw FileError(path: path, action: .read, code: error.code)
        }
    }

    /// Creates or truncates a file and writes `bytes` to it.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(FileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw FileError(path: path, action: .write, code: errno) }
        var rest = bytes[...]
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                close(fd)
                throw FileError(path: path, action: .write, code: code)
            }
            rest = rest.dropFirst(n)
        }
        guard close(fd) == 0 else { throw FileError(path: path, action: .write, code: errno) }
    }

    /// Creates a directory (and keeps an existing one).
    static func makeDirectory(_ path: String) throws(FileError) {
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            throw FileError(path: path, action: .write, code: errno)
        }
    }

    /// Today's date in the local time zone, YYYY-MM-DD.
    static func today() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
    }

    /// The text of an `errno` value.
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Reads a descriptor to its end; throws the `errno` of a failed read.
    private static func readAll(_ fd: Int32) throws(ReadFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw ReadFailure(code: errno) }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    private struct ReadFailure: Error {
        let code: Int32
    }

    /// Ends the process with `status` (buffered standard output is flushed by the C library).
    static func exit(_ status: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(status)
        #else
        Darwin.exit(status)
        #endif
    }
}
