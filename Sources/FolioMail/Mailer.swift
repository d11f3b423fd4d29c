#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the mailer did not accept a message.
public struct MailerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Hands messages to the system's mailer through the sendmail interface: the configured
/// command (default `/usr/sbin/sendmail -t -i`) gets the whole message on stdin; exit
/// status 0 means accepted. Started with posix_spawn and reaped with waitpid (not
/// Foundation's Process); blocking, so call it from a worker thread, never an event loop.
public struct Mailer: Sendable {
    public static let defaultCommand = "/usr/sbin/sendmail -t -i"

    /// The command split into words (double and single quotes group, backslash escapes).
    public let arguments: [String]
    /// Longest a delivery may take before the mailer is killed.
    public let timeoutSeconds: Int

    public init(command: String = Mailer.defaultCommand, timeoutSeconds: Int = 120) {
        self.arguments = Mailer.split(command)
        self.timeoutSeconds = timeoutSeconds
    }

    /// Runs the mailer with `message` on stdin; throws MailerError with its output when it
    /// does not exit 0.
    public func send(_ message: [UInt8]) throws {
        guard let program = arguments.first else { throw MailerError(description: "no sendmail command configured") }

        // The mailer's stdout and stderr go to an unlinked temporary file, read back for
        // error messages: no second pipe to drain while we write stdin.
        var template = Array("/tmp/folio-mailer-XXXXXX".utf8CString)
        let output = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard output >= 0 else { throw MailerError(description: "cannot create a temporary file: \(Self.errnoText())") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(output) }

        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw MailerError(description: "pipe failed: \(Self.errnoText())") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)

        // The child starts with no blocked signals and default SIGPIPE handling.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, &attributes, argv, environ)
        close(readEnd)
        guard spawned == 0 else {
            close(writeEnd)
            throw MailerError(description: "cannot start \(program): \(String(cString: strerror(spawned)))")
        }

        let writeError = Self.writeAll(writeEnd, message)
        close(writeEnd)
        let status = waitWithTimeout(pid)

        var text = Self.readAll(output)
        if text.utf8.count > 1000 { text = String(text.prefix(1000)) }
        text = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        switch status {
        case .exited(0):
            if let writeError { throw MailerError(description: "\(program) exited 0 but did not read the message: \(writeError)") }
        case .exited(let code):
            throw MailerError(description: "\(program) exited with status \(code)\(text.isEmpty ? "" : ": " + text)")
        case .signaled(let signal):
            throw MailerError(description: "\(program) killed by signal \(signal)\(text.isEmpty ? "" : ": " + text)")
        case .timedOut:
            throw MailerError(description: "\(program) did not finish within \(timeoutSeconds) s and was killed")
        }
    }

    private enum Outcome { case exited(Int32), signaled(Int32), timedOut }

    /// Waits for the child, killing it after the timeout.
    private func waitWithTimeout(_ pid: pid_t) -> Outcome {
        var status: Int32 = 0
        let deadline = time(nil) + time_t(timeoutSeconds)
        var killed = false
        while true {
            let r = waitpid(pid, &status, killed ? 0 : WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return .exited(-1) }
            if r == 0 {
                if time(nil) >= deadline {
                    kill(pid, SIGKILL)
                    killed = true
                } else {
                    usleep(10_000)
                }
            }
        }
        if killed { return .timedOut }
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }

    /// Writes everything, with SIGPIPE blocked on this thread (a mailer that exits early
    /// is an error to report, not a signal that kills the server); a pending SIGPIPE is
    /// consumed before the mask is restored.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&block, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return errnoText()
            }
            offset += n
        }
        return nil
    }

    private static func readAll(_ fd: Int32) -> String {
        lseek(fd, 0, SEEK_SET)
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while data.count < 65536 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Splits a command line into words like a shell would for plain quoting.
    public static func split(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in command {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\" && q == "\"" {
                    escaped = true
                } else {
                    current.append(c)
                }
                continue
            }
            switch c {
            case "\\": escaped = true; inWord = true
            case "\"", "'": quote = c; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(c); inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
