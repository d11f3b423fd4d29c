import FolioDomain
import FolioWire
import Foundation
import Testing

/// Runs `Tests/Validation/en16931_validate.py` (the official EN 16931 schematron with
/// Saxon, and the XSDs) on e-invoices, with the Python of `FOLIO_TEST_PYTHON` that
/// `deploy/test` prepares. Fails closed: a validation that cannot run is an error.
enum EN16931Validator {
    /// What the validator read from one document.
    struct Report {
        var syntax: String
        var xsdErrors: [String]
        var fatal: [String]
        var totals: JSON
        var vat: [JSON]
        var invoiceReference: String?
    }

    struct CannotRun: Error, CustomStringConvertible {
        let description: String
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Validation/en16931_validate.py").standardized.path
    }

    /// The Python that has the validators (`deploy/test` sets it); "" when unset.
    static var python: String { ProcessInfo.processInfo.environment["FOLIO_TEST_PYTHON"] ?? "" }

    /// Validates the documents (XML bytes, keyed by a name used for the file) in one run.
    static func validate(_ documents: [(name: String, xml: [UInt8])]) throws -> [String: Report] {
        guard !python.isEmpty else {
            throw CannotRun(description: "FOLIO_TEST_PYTHON is not set: run the tests through deploy/test")
        }
        let directory = TestEnvironment.scratchDirectory()
        var paths: [String: String] = [:]
        for document in documents {
            let path = directory + "/" + document.name + ".xml"
            try Data(document.xml).write(to: URL(fileURLWithPath: path))
            paths[path] = document.name
        }
        let result = try ProcessRunner.run(python, [script] + paths.keys.sorted())
        guard result.status == 0 || result.status == 1 else {
            throw CannotRun(description: "the validator could not run (status \(result.status)): \(result.stdout) \(result.stderr)")
        }
        var reports: [String: Report] = [:]
        for line in result.stdout.split(separator: "\n") {
            let json = try JSONParser.parse(String(line))
            guard let file = json["file"]?.stringValue, let name = paths[file] else {
                throw CannotRun(description: "unexpected validator output: \(line)")
            }
            reports[name] = Report(
                syntax: json["syntax"]?.stringValue ?? "",
                xsdErrors: (json["xsd"]?.arrayValue ?? []).compactMap(\.stringValue),
                fatal: (json["fatal"]?.arrayValue ?? []).map { "\($0["id"]?.stringValue ?? "?"): \($0["text"]?.stringValue ?? "")" },
                totals: json["totals"] ?? .null, vat: json["vat"]?.arrayValue ?? [],
                invoiceReference: json["invoice_reference"]?.stringValue)
        }
        guard reports.count == documents.count else {
            throw CannotRun(description: "the validator reported \(reports.count) of \(documents.count) documents: \(result.stderr)")
        }
        return reports
    }
}
