/// Why an e-invoice cannot be made: the document would not pass EN 16931, so the caller
/// gets a conflict naming what to fix (`field`) instead of an invalid XML.
public struct EInvoiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field to fix, as the method that sets it names it (e.g. `billing_address.country`).
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
