import Foundation

/// The SQL migrations under `Schema/`: `control/NNNN_name.sql` for the control schema and
/// `tenant/NNNN_name.sql` for every tenant schema, applied in version order.
public struct SchemaFiles: Sendable {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
        /// FNV-1a of the text, to notice a file edited after it was applied.
        public var checksum: String
    }

    public let control: [Migration]
    public let tenant: [Migration]

    public init(directory: String) throws {
        control = try Self.load(directory + "/control")
        tenant = try Self.load(directory + "/tenant")
        guard !control.isEmpty, !tenant.isEmpty else {
            throw SchemaError.missing(directory)
        }
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

    private static func load(_ directory: String) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        return try names.map { file in
            guard let version = Int(file.prefix { $0.isNumber }) else { throw SchemaError.badName(file) }
            let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
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
        case .missing(let dir): "no migrations found under \(dir) (expected control/ and tenant/; set FOLIO_SCHEMA_DIR)"
        case .badName(let file): "migration file \(file) does not start with a version number"
        }
    }
}
