#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FolioWire

/// An e-mail message with a text body, an HTML alternative and attachments, written as
/// MIME (RFC 2045-2049, 5322): multipart/mixed holding multipart/alternative
/// (text/plain, text/html; UTF-8, quoted-printable) and each attachment in base64.
/// Header text outside ASCII is written as RFC 2047 encoded words.
public struct MailMessage: Sendable {
    public struct Attachment: Sendable {
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]

        public init(filename: String, contentType: String, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    /// A display name (any Unicode) and an address.
    public struct Mailbox: Sendable, Equatable {
        public var name: String?
        public var address: String

        public init(_ address: String, name: String? = nil) {
            self.address = address
            self.name = name
        }
    }

    public var from: Mailbox
    public var to: [Mailbox]
    public var subject: String
    public var text: String
    public var html: String
    public var attachments: [Attachment] = []
    /// Without angle brackets, e.g. `3f2a...@folio.local`.
    public var messageID: String
    /// Seconds since the epoch.
    public var date: Int = Int(time(nil))

    public init(from: Mailbox, to: [Mailbox], subject: String, text: String, html: String,
                attachments: [Attachment] = [], messageID: String, date: Int = Int(time(nil))) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.messageID = messageID
        self.date = date
    }

    /// A new Message-ID local part (a random UUID) at `domain`.
    public static func newMessageID(domain: String) -> String {
        "\(randomUUID())@\(domain)"
    }

    /// The whole message with CRLF line endings, ready for `sendmail -t -i`.
    public func render() -> [UInt8] {
        let mixed = Self.boundary("mixed")
        let alternative = Self.boundary("alt")
        var out = ""
        func line(_ s: String = "") { out += s + "\r\n" }
        line(Self.header("From", Self.mailbox(from)))
        line(Self.header("To", to.map(Self.mailbox).joined(separator: ", ")))
        line(Self.header("Subject", Self.encodedWords(subject)))
        line("Date: " + Self.rfc5322Date(date))
        line("Message-ID: <\(messageID)>")
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/mixed; boundary=\"\(mixed)\"")
        line()
        line("This is a multi-part message in MIME format.")
        line("--" + mixed)
        line("Content-Type: multipart/alternative; boundary=\"\(alternative)\"")
        line()
        line("--" + alternative)
        line("Content-Type: text/plain; charset=UTF-8")
        line("Content-Transfer-Encoding: quoted-printable")
        line()
        line(Self.quotedPrintable(text))
        line("--" + alternative)
        line("Content-Type: text/html; charset=UTF-8")
        line("Content-Transfer-Encoding: quoted-printable")
        line()
        line(Self.quotedPrintable(html))
        line("--" + alternative + "--")
        for attachment in attachments {
            line("--" + mixed)
            let name = Self.parameterValue(attachment.filename)
            line("Content-Type: \(attachment.contentType); name=\(name)")
            line("Content-Transfer-Encoding: base64")
            line("Content-Disposition: attachment; filename=\(name)")
            line()
            let encoded = Base64.encode(attachment.bytes)
            var index = encoded.startIndex
            while index < encoded.endIndex {
                let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
                line(String(encoded[index..<end]))
                index = end
            }
        }
        line("--" + mixed + "--")
        return Array(out.utf8)
    }

    // MARK: - Pieces

    static func mailbox(_ m: Mailbox) -> String {
        guard let name = m.name, !name.isEmpty else { return m.address }
        let isPlain = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " ") }
        if isPlain { return "\(name) <\(m.address)>" }
        if name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            let quoted = name.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            return "\"\(quoted)\" <\(m.address)>"
        }
        return "\(encodedWords(name)) <\(m.address)>"
    }

    /// `Name: value`, folded before words so lines stay within 78 characters (the first
    /// word stays on the name's line; encoded words are short enough to fit there).
    static func header(_ name: String, _ value: String) -> String {
        let words = value.split(separator: " ", omittingEmptySubsequences: false)
        var lines: [String] = []
        var current = name + ":"
        for word in words {
            if current.utf8.count + 1 + word.utf8.count > 78 && current != name + ":" {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// The text unchanged when it is printable ASCII, else RFC 2047 `=?UTF-8?B?...?=` words
    /// (each at most 68 characters, split on character boundaries), separated by spaces.
    static func encodedWords(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !text.contains("=?") {
            return text
        }
        // 42 bytes = 56 base64 characters = 68-character words: after "Subject: " a line
        // stays within 78 (RFC 2047 allows up to 75).
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 42 && !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Base64.encode(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Base64.encode(chunk))?=") }
        return words.joined(separator: " ")
    }

    /// A MIME parameter value: quoted when ASCII, else an RFC 2047 word in quotes (what
    /// mail clients read for file names).
    static func parameterValue(_ value: String) -> String {
        let ascii = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        let text = ascii ? value : encodedWords(value)
        return "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    /// Quoted-printable (RFC 2045 6.7) with CRLF line breaks and soft breaks at 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var lines: [String] = []
        let normalized = text.replacingAll("\r\n", with: "\n")
        for sourceLine in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(sourceLine.utf8)
            var current: [UInt8] = []
            var encodedLine: [String] = []
            for (i, byte) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                var piece: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast) {
                    piece = [byte]
                } else {
                    piece = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                }
                if current.count + piece.count > 75 {
                    encodedLine.append(String(decoding: current, as: UTF8.self) + "=")
                    current = []
                }
                current += piece
            }
            encodedLine.append(String(decoding: current, as: UTF8.self))
            lines.append(encodedLine.joined(separator: "\r\n"))
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 5322 date in UTC, e.g. `Sun, 22 Nov 2026 16:25:39 +0000`.
    static func rfc5322Date(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }

    static func randomUUID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    static func boundary(_ tag: String) -> String {
        "=_folio_\(tag)_" + randomUUID().replacingAll("-", with: "")
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
