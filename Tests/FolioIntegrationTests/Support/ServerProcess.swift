import FolioClient
import FolioWire
import Foundation

/// A real `foliod` on a real socket, started for a test and stopped with it.
final class ServerProcess: @unchecked Sendable {
    let socketPath: String
    let logPath: String
    let database: String
    let extraArguments: [String]
    /// The running foliod's pid, 0 when stopped.
    private(set) var pid: pid_t = 0

    /// The server most tests share; it lives as long as the test process.
    static let shared = try! ServerProcess()

    /// Every server still running, ended when the test process exits (deploy/test also
    /// kills leftovers should the process die before that).
    private static let running: Shared<[Int32]> = {
        atexit { ServerProcess.running.value.forEach { kill($0, SIGKILL) } }
        return Shared([])
    }()

    /// Brings the shared test database to the latest schema, once per test process.
    private static let migrateSharedDatabase: Result<Void, TestFailure> = {
        do {
            let result = try ProcessRunner.run(TestEnvironment.foliod, [
                "migrate", "--database", TestEnvironment.database, "--schema-dir", TestEnvironment.schemaDirectory,
            ])
            return result.status == 0 ? .success(()) : .failure(TestFailure("foliod migrate failed: \(result.stderr)"))
        } catch {
            return .failure(TestFailure("foliod migrate: \(error)"))
        }
    }()

    init(database: String = TestEnvironment.database, arguments: [String] = []) throws {
        if database == TestEnvironment.database { try Self.migrateSharedDatabase.get() }
        let directory = TestEnvironment.scratchDirectory()
        socketPath = directory + "/folio.sock"
        logPath = directory + "/foliod.log"
        self.database = database
        extraArguments = arguments
        try start()
    }

    deinit { if pid != 0 { kill(pid, SIGKILL); _ = ProcessRunner.wait(pid) } }

    /// Starts foliod and waits until it answers a ping.
    func start() throws {
        let pid = try ProcessRunner.start([TestEnvironment.foliod, "serve", "--socket", socketPath, "--database", database,
                                           "--socket-mode", "0666", "--schema-dir", TestEnvironment.schemaDirectory,
                                           "--log-level", "debug"] + extraArguments, logPath: logPath)
        self.pid = pid
        Self.running.update { $0.append(pid) }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let connection = try? FolioConnection(socketPath: socketPath), (try? connection.call("system.ping")) != nil {
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                self.pid = 0
                break
            }
            usleep(50_000)
        }
        throw TestFailure("foliod did not come up; log:\n\(log())")
    }

    /// Sends a signal (0: none, the process is already ending) and waits for the process
    /// to end; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        guard pid != 0 else { return 0 }
        if signal != 0 { kill(pid, signal) }
        let status = ProcessRunner.wait(pid)
        let stopped = pid
        Self.running.update { $0.removeAll { $0 == stopped } }
        pid = 0
        return status
    }

    func connect() throws -> FolioConnection { try FolioConnection(socketPath: socketPath, receiveTimeout: 60) }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Creates a tenant as administrator (the tests run as root) and returns its slug.
    func makeTenant(_ prefix: String = "t", currency: String = "EUR", settings: JSONObject = [:]) throws -> String {
        let slug = TestEnvironment.uniqueSlug(prefix)
        let client = try connect()
        _ = try client.call("tenant.create", ["tenant": .string(slug), "name": .string("Test \(slug)"), "currency": .string(currency)])
        if settings.count > 0 {
            var params = settings
            params["tenant"] = .string(slug)
            _ = try client.call("tenant.update", params)
        }
        return slug
    }
}

/// A failed expectation outside of a test function's own #expect.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
