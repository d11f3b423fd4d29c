import Foundation

/// The SQL under `Schema/`: append-only migrations `control/NNNN_name.sql` (the control
/// schema's tables) and `tenant/NNNN_name.sql` (every tenant schema's tables, indexes,
/// triggers and views), applied in version order; and `code/*.sql`, every function,
/// re-applied as a whole in file-name order whenever it changed.
public struct SchemaFiles: Sendable {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
        /// FNV-1a of the text, to notice a file edited after it was applied.
        public var checksum: String
    }

    /// A file of `code/`: functions and types, applied with CREATE OR REPLACE.
    public struct CodeFile: Sendable {
        public var name: String
        public var sql: String
    }

    public let control: [Migration]
    public let tenant: [Migration]
    public let code: [CodeFile]
    /// One digest of every code file's name and text: the code version.
    public let codeChecksum: String

    public init(directory: String) throws {
        control = try Self.load(directory + "/control")
        tenant = try Self.load(directory + "/tenant")
        code = try Self.sqlFiles(directory + "/code").map { CodeFile(name: $0.name, sql: $0.sql) }
        guard !control.isEmpty, !tenant.isEmpty, !code.isEmpty else {
            throw SchemaError.missing(directory)
        }
        codeChecksum = Self.fnv1a(code.map { $0.name + "\u{0}" + $0.sql }.joined(separator: "\u{0}"))
    }

    /// The first existing of: `$FOLIO_SCHEMA_DIR`, `<executable>/../share/folio/Schema`,
    /// `/usr/local/share/folio/Schema`, and the checkout this binary was built from.
    public static func defaultDirectory() -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["FOLIO_SCHEMA_DIR"] { candidates.append(env) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("../share/folio/Schema").standardized.path)
        candidates.append("/usr/local/share/folio/Schema")
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Schema").standardized.path
        candidates.append(checkout)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/control") } ?? checkout
    }

    private static func sqlFiles(_ directory: String) throws -> [(name: String, sql: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        return try names.map { ($0, try String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) }
    }

    private static func load(_ directory: String) throws -> [Migration] {
        try sqlFiles(directory).map { file, sql in
            guard let version = Int(file.prefix { $0.isNumber }) else { throw SchemaError.badName(file) }
            return Migration(version: version, name: String(file.dropLast(4)), sql: sql, checksum: fnv1a(sql))
        }
    }

    private static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

public enum SchemaError: Error, CustomStringConvertible {
    case missing(String)
    case badName(String)

    public var description: String {
        switch self {
        case .missing(let dir): "no SQL found under \(dir) (expected control/, tenant/ and code/; set FOLIO_SCHEMA_DIR)"
        case .badName(let file): "migration file \(file) does not start with a version number"
        }
    }
}
