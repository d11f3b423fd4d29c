/// A ZIP archive of stored (uncompressed) files, built in memory: what
/// `folio export invoices --format ubl -o FILE.zip` writes. Entries are dated
/// 1980-01-01 (the format's epoch), so the same documents give the same bytes.
struct ZipArchive {
    private var body: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    /// Adds a file; `name` is stored as UTF-8 (flag bit 11).
    mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = Self.crc32(data)
        let offset = UInt32(body.count)
        var header: [UInt8] = []
        header += Self.le32(0x0403_4B50) + Self.le16(20) + Self.le16(0x0800) + Self.le16(0)  // signature, version, UTF-8, stored
        header += Self.le16(0) + Self.le16(0x21)                                              // time 00:00, date 1980-01-01
        header += Self.le32(crc) + Self.le32(UInt32(data.count)) + Self.le32(UInt32(data.count))
        header += Self.le16(UInt16(nameBytes.count)) + Self.le16(0)
        body += header + nameBytes + data
        var entry: [UInt8] = []
        entry += Self.le32(0x0201_4B50) + Self.le16(20) + Self.le16(20) + Self.le16(0x0800) + Self.le16(0)
        entry += Self.le16(0) + Self.le16(0x21) + Self.le32(crc) + Self.le32(UInt32(data.count)) + Self.le32(UInt32(data.count))
        entry += Self.le16(UInt16(nameBytes.count)) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le16(0)
        entry += Self.le32(0o100644 << 16) + Self.le32(offset)
        directory += entry + nameBytes
        count += 1
    }

    /// The archive: the files, the central directory and its end record.
    var bytes: [UInt8] {
        var end: [UInt8] = Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0)
        end += Self.le16(UInt16(count)) + Self.le16(UInt16(count))
        end += Self.le32(UInt32(directory.count)) + Self.le32(UInt32(body.count)) + Self.le16(0)
        return body + directory + end
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
