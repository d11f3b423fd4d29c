@testable import FolioMail
import Foundation
import Testing

/// MIME building, checked without a server or a mailer.
@Suite struct MailMessageTests {
    static func message(subject: String = "Invoice INV-1", text: String = "Hello", attachment: [UInt8] = [1, 2, 3]) -> MailMessage {
        MailMessage(from: .init("billing@shop.example", name: "Shop Ltd"), to: [.init("ap@acme.example")],
                    subject: subject, text: text, html: "<p>Hello</p>",
                    attachments: [.init(filename: "INV-1.pdf", contentType: "application/pdf", bytes: attachment)],
                    messageID: "id-1@shop.example", date: 1_795_000_000)
    }

    static func rendered(_ m: MailMessage) -> String { String(decoding: m.render(), as: UTF8.self) }

    @Test func headersAndPartsAreWellFormed() throws {
        let text = Self.rendered(Self.message())
        let lines = text.components(separatedBy: "\r\n")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "bare LF in the message")
        #expect(lines.contains("From: Shop Ltd <billing@shop.example>"))
        #expect(lines.contains("To: ap@acme.example"))
        #expect(lines.contains("Subject: Invoice INV-1"))
        #expect(lines.contains("Message-ID: <id-1@shop.example>"))
        #expect(lines.contains("Date: Wed, 18 Nov 2026 11:06:40 +0000"))
        #expect(lines.contains("MIME-Version: 1.0"))
        let boundary = try #require(lines.first { $0.hasPrefix("Content-Type: multipart/mixed; boundary=") }?
            .split(separator: "\"").dropFirst().first.map(String.init))
        // Alternative part, then the attachment, then the closing boundary as the last line.
        #expect(lines.filter { $0 == "--\(boundary)" }.count == 2)
        #expect(lines.last(where: { !$0.isEmpty }) == "--\(boundary)--")
        #expect(lines.contains("Content-Type: text/plain; charset=UTF-8"))
        #expect(lines.contains("Content-Type: text/html; charset=UTF-8"))
        #expect(lines.contains("Content-Disposition: attachment; filename=\"INV-1.pdf\""))
        #expect(lines.contains("AQID"))  // base64 of 1, 2, 3
    }

    @Test func nonASCIIHeadersBecomeEncodedWords() {
        let subject = "Rechnung für 東京都 — " + String(repeating: "ü", count: 40)
        let header = MailMessage.header("Subject", MailMessage.encodedWords(subject))
        for line in header.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "\(line)")
            #expect(line.allSatisfy { $0.isASCII })
        }
        let decoded = header.components(separatedBy: "\r\n").flatMap { $0.split(separator: " ") }
            .filter { $0.hasPrefix("=?UTF-8?B?") }
            .map { Data(base64Encoded: String($0.dropFirst(10).dropLast(2)))! }
            .reduce(Data(), +)
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
        #expect(MailMessage.mailbox(.init("a@b.example", name: "Müller, Jörg")).hasPrefix("=?UTF-8?B?"))
        #expect(MailMessage.mailbox(.init("a@b.example", name: "Smith, John")) == "\"Smith, John\" <a@b.example>")
    }

    @Test func quotedPrintableRoundTripsAndKeepsLinesShort() {
        let source = "Total = 100 €\n" + String(repeating: "long line ", count: 30) + "\ntrailing space "
        let encoded = MailMessage.quotedPrintable(source)
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76, "\(line)") }
        #expect(encoded.contains("=3D"))
        #expect(encoded.hasSuffix("space=20"))
        #expect(Self.decodeQuotedPrintable(encoded) == source.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func attachmentBase64LinesAreAtMost76Characters() throws {
        let bytes = (0..<5000).map { UInt8($0 % 251) }
        let text = Self.rendered(Self.message(attachment: bytes))
        let body = try #require(text.components(separatedBy: "Content-Disposition: attachment; filename=\"INV-1.pdf\"\r\n\r\n").last)
        let base64Lines = body.components(separatedBy: "\r\n").prefix { !$0.hasPrefix("--") }
        #expect(base64Lines.allSatisfy { $0.count <= 76 })
        #expect(Data(base64Encoded: base64Lines.joined()).map(Array.init) == bytes)
    }

    /// RFC 2045 decoding, independent of the encoder: soft breaks removed, =XX decoded.
    static func decodeQuotedPrintable(_ text: String) -> String {
        let joined = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var out: [UInt8] = []
        var i = 0
        while i < joined.count {
            if joined[i] == UInt8(ascii: "="), i + 2 < joined.count,
               let byte = UInt8(String(decoding: joined[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(byte)
                i += 3
            } else {
                out.append(joined[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
