import Foundation

/// Where the test command (deploy/test) put things: the private PostgreSQL cluster and the built binaries.
enum TestEnvironment {
    static let variables = ProcessInfo.processInfo.environment

    static func required(_ name: String) -> String {
        guard let value = variables[name], !value.isEmpty else {
            fatalError("\(name) is not set: run the tests with deploy/test")
        }
        return value
    }

    /// libpq connection string of the server's login role.
    static var database: String { required("FOLIO_TEST_DATABASE") }
    /// libpq connection string of a superuser, for tests that inspect or tamper with data.
    static var superuserDatabase: String { required("FOLIO_TEST_SUPERUSER_DATABASE") }
    static var pgHost: String { required("FOLIO_TEST_PGHOST") }
    static var pgBin: String { required("FOLIO_TEST_PGBIN") }
    static var pgOSUser: String { required("FOLIO_TEST_PGUSER_OS") }
    static var binDirectory: String { required("FOLIO_BIN_DIR") }

    static var foliod: String { binDirectory + "/foliod" }
    static var folio: String { binDirectory + "/folio" }

    static var schemaDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Schema").standardized.path
    }

    /// A fresh folder for sockets and logs, reachable by other uids (for tests that connect as them).
    static func scratchDirectory() -> String {
        let path = "/tmp/folio-it-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
        return path
    }

    /// A tenant slug no other test uses.
    static func uniqueSlug(_ prefix: String = "t") -> String {
        "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
    }

    static var isRoot: Bool { getuid() == 0 }
}
