import FolioDomain
import Foundation
import Testing

/// The catalog is the one authority for text limits: every length check in a method's
/// SQL function (`req_text` / `check_text` on a top-level param) allows exactly what the
/// catalog allows, so a value the server accepts is never refused by the database, and
/// paths that reach the SQL without the catalog (CSV import) keep the same rule.
@Suite struct LimitsTests {
    static let codeDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Schema/code").standardized

    /// Function name -> body, for every function in the shared code.
    static func functionBodies() throws -> [String: String] {
        var bodies: [String: String] = [:]
        let files = try FileManager.default.contentsOfDirectory(atPath: codeDirectory.path).filter { $0.hasSuffix(".sql") }
        let header = try NSRegularExpression(pattern: #"CREATE OR REPLACE FUNCTION ([a-z_0-9]+)\("#)
        for file in files {
            let sql = try String(contentsOf: codeDirectory.appendingPathComponent(file), encoding: .utf8) as NSString
            let starts = header.matches(in: sql as String, range: NSRange(location: 0, length: sql.length))
            for (n, match) in starts.enumerated() {
                let end = n + 1 < starts.count ? starts[n + 1].range.location : sql.length
                let name = sql.substring(with: match.range(at: 1))
                bodies[name] = sql.substring(with: NSRange(location: match.range.location, length: end - match.range.location))
            }
        }
        return bodies
    }

    /// The `(field, max)` pairs a function body checks with req_text/check_text on `p->>'field'`.
    static func sqlLimits(in body: String) throws -> [(String, Int)] {
        let check = try NSRegularExpression(pattern: #"(?:req_text|check_text)\((?:nullif\(btrim\()?p->>'([a-z_]+)'[^,]*, '([a-z_]+)', (\d+)"#)
        let text = body as NSString
        return check.matches(in: body, range: NSRange(location: 0, length: text.length)).map {
            (text.substring(with: $0.range(at: 2)), Int(text.substring(with: $0.range(at: 3)))!)
        }
    }

    @Test func sqlTextChecksMatchTheCatalog() throws {
        let bodies = try Self.functionBodies()
        var checked = 0
        var mismatches: [String] = []
        for spec in MethodCatalog.all {
            guard case .sql(let function) = spec.implementation, let body = bodies[function] else { continue }
            for (field, sqlMax) in try Self.sqlLimits(in: body) {
                guard let declared = spec.allFields.first(where: { $0.name == field }) else {
                    mismatches.append("\(spec.name).\(field): checked in SQL, not in the catalog")
                    continue
                }
                let max: Int
                switch declared.type {
                case .text(_, let limit), .line(let limit): max = limit
                default: continue
                }
                checked += 1
                if max != sqlMax { mismatches.append("\(spec.name).\(field): catalog \(max), SQL \(sqlMax)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(checked >= 20, "the scan found only \(checked) checks: has the SQL style changed?")
    }
}
