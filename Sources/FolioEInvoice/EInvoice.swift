import FolioWire

/// The e-invoice syntaxes Folio writes.
public enum EInvoiceFormat: String, Sendable, CaseIterable {
    /// UBL 2.1 Invoice / CreditNote.
    case ubl
    /// UN/CEFACT CII D16B.
    case cii

    /// Builds the document from the JSON results (see `EInvoiceInput`); throws
    /// `EInvoiceError` when it could not pass EN 16931.
    public func render(document: JSON, tenant: JSON, customer: JSON, extras: JSON) throws -> [UInt8] {
        let input = try EInvoiceInput(document: document, tenant: tenant, customer: customer, extras: extras)
        switch self {
        case .ubl: return try UBLInvoice.xml(input)
        case .cii: return try CIIInvoice.xml(input)
        }
    }
}
