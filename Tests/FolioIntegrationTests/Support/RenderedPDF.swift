import FolioTestSupport
import FolioWire
import Foundation
import Testing

/// The text of a `*.render` result (`{content_type, data_base64}`) that must be a PDF,
/// read back with pdftotext.
func pdfText(of result: JSON, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    #expect(result["content_type"] == "application/pdf", sourceLocation: sourceLocation)
    return try Poppler.text(Array(Data(base64Encoded: result["data_base64"]?.stringValue ?? "") ?? Data()))
}
