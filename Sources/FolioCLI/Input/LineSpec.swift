import ArgumentParser
import FolioWire

/// One document line given on the command line, already in its wire form
/// (`{description, qty, unit_price, tax_rate?}` or `{item_id, qty, unit_price?}`).
/// Only the shape is checked here; the values are the server's to judge.
struct LineSpec {
    /// The line as the server takes it.
    let json: JSON

    /// Parses `--line "DESCRIPTION:QTY:UNIT_PRICE[:TAXCODE[:UNIT[:DISCOUNT[:REASON]]]]"`. An
    /// empty tax code sends `tax_rate: null` (no tax); an empty unit keeps the default;
    /// DISCOUNT is an amount (`5.00`) or a percent (`10%`) of the line, REASON its reason.
    static func described(_ text: String) throws -> LineSpec {
        let parts = ColonFields.split(text)
        guard (3...7).contains(parts.count) else {
            throw ValidationError(
                "expected DESCRIPTION:QTY:UNIT_PRICE[:TAXCODE[:UNIT[:DISCOUNT[:REASON]]]] (write a colon inside the "
                    + "description as \\:), got \(parts.count) part\(parts.count == 1 ? "" : "s")")
        }
        var line: JSONObject = ["description": .string(parts[0]), "qty": .string(parts[1]), "unit_price": .string(parts[2])]
        if parts.count >= 4 { line.set("tax_rate", clearable: parts[3]) }
        if parts.count >= 5, !parts[4].isEmpty { line["unit"] = .string(parts[4]) }
        if parts.count >= 6, !parts[5].isEmpty {
            if parts[5].hasSuffix("%") {
                line["discount_percent"] = .string(String(parts[5].dropLast()))
            } else {
                line["discount_amount"] = .string(parts[5])
            }
        }
        if parts.count == 7, !parts[6].isEmpty { line["discount_reason"] = .string(parts[6]) }
        return LineSpec(json: .object(line))
    }

    /// Parses `--allowance`/`--charge "AMOUNT|PERCENT%:REASON[:TAXCODE]"` (a percent applies
    /// to the lines with that tax rate).
    static func adjustment(_ text: String) throws -> JSON {
        let parts = ColonFields.split(text)
        guard parts.count == 2 || parts.count == 3 else {
            throw ValidationError("expected AMOUNT:REASON[:TAXCODE] or PERCENT%:REASON[:TAXCODE], got \(parts.count) part\(parts.count == 1 ? "" : "s")")
        }
        var object: JSONObject = ["reason": .string(parts[1])]
        if parts[0].hasSuffix("%") {
            object["percent"] = .string(String(parts[0].dropLast()))
        } else {
            object["amount"] = .string(parts[0])
        }
        if parts.count == 3 { object.set("tax_rate", clearable: parts[2]) }
        return .object(object)
    }

    /// Parses `--item "ITEM_ID:QTY[:UNIT_PRICE]"`: the item's name, price and tax rate
    /// apply unless the price is given.
    static func item(_ text: String) throws -> LineSpec {
        let parts = ColonFields.split(text)
        guard parts.count == 2 || parts.count == 3 else {
            throw ValidationError("expected ITEM_ID:QTY[:UNIT_PRICE], got \(parts.count) part\(parts.count == 1 ? "" : "s")")
        }
        guard parts[0].isAllDigits, let id = Int64(parts[0]) else {
            throw ValidationError("ITEM_ID must be an item's numeric id, got '\(parts[0])'")
        }
        var line: JSONObject = ["item_id": JSON(id), "qty": .string(parts[1])]
        if parts.count == 3 { line.set("unit_price", parts[2]) }
        return LineSpec(json: .object(line))
    }
}
