import FolioDomain

/// Amounts as EN 16931 writes them: at most two decimals (BR-DEC rules). A currency with
/// three minor-unit decimals (BHD) can be written only when the third decimal is 0.
enum EInvoiceAmount {
    /// `"12.340"` -> `"12.34"`, `"1000"` stays; throws when two decimals cannot hold it.
    static func text(_ value: ExactDecimal, field: String) throws -> String {
        if value.scale <= 2 { return value.description }
        let two = value.rounded(to: 2)
        guard two == value else {
            throw EInvoiceError(field: "currency", "EN 16931 amounts have at most 2 decimals; \(field) \(value) cannot be written exactly")
        }
        return two.description
    }

    /// Parses a decimal string of a result (missing: 0).
    static func parse(_ text: String?) -> ExactDecimal {
        text.flatMap { ExactDecimal($0) } ?? .zero
    }

    /// `-x`.
    static func negate(_ x: ExactDecimal) -> ExactDecimal {
        ExactDecimal(significand: -x.significand, scale: x.scale)
    }
}
