/// Frame layout of the Folio socket: a 4-byte unsigned big-endian length, then that many bytes of UTF-8 JSON.
public enum Frame {
    /// Size of the length prefix.
    public static let headerSize = 4
    /// Default largest request frame the server accepts.
    public static let defaultMaximumRequestBytes = 1 << 20
    /// Largest response frame a client accepts.
    public static let maximumResponseBytes = 64 << 20

    /// The length prefix for a payload of `count` bytes.
    public static func header(_ count: Int) -> [UInt8] {
        let n = UInt32(count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }

    /// A whole frame: header and payload.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        header(payload.count) + payload
    }

    /// Reads the length from the first four bytes of `bytes`.
    public static func length<Bytes: Collection<UInt8>>(of bytes: Bytes) -> UInt32 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
