import FolioWire

/// The shape a parameter must have. Checked before any database work so that bad
/// input answers -32602 naming the field, and nothing is written.
public indirect enum ParamType: Sendable {
    /// A string of `min...max` characters.
    case text(min: Int = 1, max: Int = 1000)
    /// A one-line string of 1...`max` characters without control characters (document
    /// number formats, phone numbers: printed on documents, in file names and headers).
    case line(max: Int)
    /// A Mustache template of 1...`max` characters. Beyond the shape checked here, the
    /// server parses it with its template rules before the method runs.
    case template(max: Int)
    /// A tenant slug: `^[a-z][a-z0-9_]{1,39}$`.
    case slug
    /// A JSON integer in `min...max`.
    case integer(min: Int64, max: Int64)
    /// A JSON string holding a plain decimal with at most `scale` decimals and
    /// `integerDigits` digits before the point.
    case decimal(scale: Int, integerDigits: Int = 15, allowNegative: Bool = false)
    /// A JSON string holding a calendar date `YYYY-MM-DD`.
    case date
    case boolean
    /// One of the listed strings.
    case choice([String])
    /// A JSON object with exactly these fields.
    case object([Field])
    /// A JSON array of `min...max` elements of one type.
    case array(of: ParamType, min: Int, max: Int)
    /// A value of any of these types (e.g. a day of the month 1..31 or `"last"`).
    case oneOf([ParamType])

    /// Ids: positive integers.
    public static let id = ParamType.integer(min: 1, max: Int64.max)
    /// A Unix uid.
    public static let uid = ParamType.integer(min: 0, max: 4_294_967_295)
}

/// One named parameter.
public struct Field: Sendable {
    public var name: String
    public var type: ParamType
    public var required: Bool
    /// Whether an explicit JSON null is accepted (to clear an optional value).
    public var nullable: Bool

    public static func required(_ name: String, _ type: ParamType) -> Field {
        Field(name: name, type: type, required: true, nullable: false)
    }

    public static func optional(_ name: String, _ type: ParamType, nullable: Bool = false) -> Field {
        Field(name: name, type: type, required: false, nullable: nullable)
    }
}
