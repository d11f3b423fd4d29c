import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a finished command.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Starts and waits for child processes with posix_spawn and waitpid directly: Foundation's
/// Process can miss a child's exit when many run at once from the test runner's threads.
enum ProcessRunner {
    /// Runs `executable` with `arguments` to completion, capturing its output. When `uid`
    /// is given (tests run as root), it runs as that uid and gid through setpriv, so the
    /// server sees another caller in its peer credentials.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], uid: UInt32? = nil, stdin: String? = nil) throws -> CommandResult {
        var command = [executable] + arguments
        if let uid { command = ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--"] + command }
        let input = try makePipe(), output = try makePipe(), errors = try makePipe()
        let pid = try spawn(command, stdin: input.read, stdout: output.write, stderr: errors.write,
                            closeInChild: [input.write, output.read, errors.read])
        close(input.read)
        close(output.write)
        close(errors.write)
        if let stdin {
            _ = Array(stdin.utf8).withUnsafeBytes { Glibc.write(input.write, $0.baseAddress, $0.count) }
        }
        close(input.write)
        let (out, err) = drain(output.read, errors.read)
        return CommandResult(status: wait(pid), stdout: out, stderr: err)
    }

    /// Starts `command` in the background with its output appended to `logPath`; returns its pid.
    static func start(_ command: [String], logPath: String) throws -> pid_t {
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(log); close(null) }
        return try spawn(command, stdin: null, stdout: log, stderr: log, closeInChild: [])
    }

    /// Waits for a child to end and returns its exit status (128 + signal when killed).
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        // Close-on-exec, so children spawned concurrently by other tests do not hold these open.
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func spawn(_ command: [String], stdin: Int32, stdout: Int32, stderr: Int32, closeInChild: [Int32]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        for fd in closeInChild { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard result == 0 else { throw TestFailure("cannot start \(command[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Reads both pipes to their end without letting either fill up.
    private static func drain(_ first: Int32, _ second: Int32) -> (String, String) {
        var buffers: [Int32: [UInt8]] = [first: [], second: []]
        var open = [first, second]
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffers[entry.fd]!.append(contentsOf: chunk[0..<n])
                } else {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        return (String(decoding: buffers[first]!, as: UTF8.self), String(decoding: buffers[second]!, as: UTF8.self))
    }
}
