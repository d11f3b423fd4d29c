@testable import FolioCLI
import FolioWire
import Testing

/// The command line's own syntaxes, parsed into wire params without a server.
@Suite struct InputParsingTests {
    @Test(arguments: [
        ("a:b:c", ["a", "b", "c"]),
        (#"Consulting\: May:10:95.00"#, ["Consulting: May", "10", "95.00"]),
        (#"back\\slash:1"#, [#"back\slash"#, "1"]),
        (#"keep\n:1"#, [#"keep\n"#, "1"]),
        ("trailing:", ["trailing", ""]),
        (#"end\"#, [#"end\"#]),
    ])
    func colonFieldsSplitAtUnescapedColons(text: String, fields: [String]) {
        #expect(ColonFields.split(text) == fields)
    }

    @Test func describedLinesBecomeWireLines() throws {
        #expect(try LineSpec.described("Design:3:150.00:VAT20").json
            == ["description": "Design", "qty": "3", "unit_price": "150.00", "tax_rate": "VAT20"])
        #expect(try LineSpec.described("Travel:1:89.90").json == ["description": "Travel", "qty": "1", "unit_price": "89.90"])
        // An empty tax code clears the tax rate.
        #expect(try LineSpec.described("Exempt:1:5:").json["tax_rate"] == .null)
        #expect(throws: (any Error).self) { try LineSpec.described("only:two") }
        #expect(try LineSpec.described("Hours:2:50:VAT20:HUR:10%:loyal").json
            == ["description": "Hours", "qty": "2", "unit_price": "50", "tax_rate": "VAT20", "unit": "HUR",
                "discount_percent": "10", "discount_reason": "loyal"])
        #expect(try LineSpec.described("Box:1:9::::").json == ["description": "Box", "qty": "1", "unit_price": "9", "tax_rate": .null])
        #expect(try LineSpec.described("Box:1:9::H87:1.50").json["discount_amount"] == "1.50")
        #expect(throws: (any Error).self) { try LineSpec.described("a:b:c:d:e:f:g:h") }
    }

    @Test func allowancesAndChargesTakeAnAmountOrAPercent() throws {
        #expect(try LineSpec.adjustment("5.00:Early payment:VAT20")
            == ["amount": "5.00", "reason": "Early payment", "tax_rate": "VAT20"])
        #expect(try LineSpec.adjustment("2%:Volume") == ["percent": "2", "reason": "Volume"])
        #expect(throws: (any Error).self) { try LineSpec.adjustment("5.00") }
    }

    @Test func itemLinesNeedANumericId() throws {
        #expect(try LineSpec.item("12:3").json == ["item_id": 12, "qty": "3"])
        #expect(try LineSpec.item("12:3:9.99").json == ["item_id": 12, "qty": "3", "unit_price": "9.99"])
        #expect(throws: (any Error).self) { try LineSpec.item("BOOK-1:3") }
        #expect(throws: (any Error).self) { try LineSpec.item("12") }
    }

    @Test func allocationsNameInvoicesByIdOrNumber() throws {
        #expect(try AllocationSpec.parse("42:10.00").json == ["invoice_id": 42, "amount": "10.00"])
        #expect(try AllocationSpec.parse("INV-2026:7:5.50").json == ["number": "INV-2026:7", "amount": "5.50"])
        #expect(throws: (any Error).self) { try AllocationSpec.parse("42") }
        #expect(throws: (any Error).self) { try AllocationSpec.parse("42:") }
        #expect(throws: (any Error).self) { try AllocationSpec.parse(":5") }
    }

    @Test func documentReferencesAreIdsOrKeys() {
        #expect(DocumentReference(argument: "17")?.params() == ["id": 17])
        #expect(DocumentReference(argument: "INV-000017")?.params() == ["number": "INV-000017"])
        #expect(DocumentReference(argument: "BOOK-1")?.params(idField: "id", keyField: "sku") == ["sku": "BOOK-1"])
        #expect(DocumentReference(argument: "") == nil)
    }
}
