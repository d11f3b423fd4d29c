import FolioClient
import FolioWire
import Foundation
import FoundationXML
import Testing

/// Contract v1.1 "Discounts, VAT categories and e-invoices", the business fields besides
/// the totals: each document is rendered as UBL and as CII, read back with XPath and
/// validated (EN 16931 schematron and XSDs, as `EInvoiceTests` does). Payment terms text
/// (BT-20) and due date (BT-9) as frozen at issue, the order reference (BT-13) of an
/// invoice made from an order, the invoicing period (BT-73/BT-74) of a recurring invoice,
/// the payment means and the seller's account (BT-81..BT-86), the deliver-to address and
/// delivery date (BT-72, BT-75..BT-80), and the parties (names, VAT ids, registration id,
/// electronic addresses, countries).
@Suite(.timeLimit(.minutes(10))) struct EInvoiceFieldTests {
    let server = ServerProcess.shared

    // MARK: - Setup

    static let iban = "DE89370400440532013000"

    /// A tenant with complete seller data and the rates the tests use.
    private func seller(_ prefix: String) throws -> Invoicing {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant(prefix))
        _ = try inv.call("tenant.update", [
            "legal_name": "Folio Fields GmbH",
            "address": ["line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"],
            "tax_id": "DE123456789", "registration_id": "HRB 12345 B", "email": "billing@seller.example",
            "electronic_address": ["scheme": "0088", "id": "4000001000005"],
            "payment_account": ["iban": "de89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "name": "Folio Fields GmbH"],
        ])
        _ = try inv.call("tax_rate.create", ["code": "S19", "name": "Standard", "percent": "19"])
        _ = try inv.call("tax_rate.create", ["code": "IC", "name": "Intra-community", "percent": "0", "category": "K",
                                             "exemption_reason": "Intra-community supply"])
        _ = try inv.call("tax_rate.create", ["code": "OUT", "name": "Out of scope", "percent": "0", "category": "O",
                                             "exemption_reason": "Not subject to VAT"])
        return inv
    }

    /// A customer (the buyer); `shipping` nil gives none.
    private func buyer(_ inv: Invoicing, name: String = "Client SARL", country: String = "FR", vat: String? = "FR40303265045",
                       terms: Int = 14, shipping: JSONObject? = nil) throws -> Int64 {
        var params: JSONObject = [
            "name": .string(name), "email": "ap@client.example", "payment_terms_days": JSON(terms),
            "billing_address": ["line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": .string(country)],
            "electronic_address": ["scheme": "0009", "id": "30326504500018"],
        ]
        if let vat { params["tax_id"] = .string(vat) }
        if let shipping { params["shipping_address"] = .object(shipping) }
        return try inv.call("customer.create", params).id
    }

    private func line(_ description: String, _ qty: String, _ price: String, _ rate: String = "S19") -> JSON {
        ["description": .string(description), "qty": .string(qty), "unit_price": .string(price), "tax_rate": .string(rate)]
    }

    private func issue(_ inv: Invoicing, _ customer: Int64, _ extra: JSONObject = [:], lines: [JSON]? = nil) throws -> JSON {
        var params = extra
        params["customer_id"] = JSON(customer)
        params["issue"] = true
        params["lines"] = .array(lines ?? [line("Consulting", "2", "150.00")])
        return try inv.call("invoice.create", params)
    }

    // MARK: - Rendering, reading back, validating

    /// A document rendered in both syntaxes.
    struct Rendered {
        let label: String
        let ubl: EInvoiceXML
        let cii: EInvoiceXML
    }

    /// Renders the document `number` as UBL and CII (`invoice.render` or `credit_note.render`).
    private func render(_ inv: Invoicing, _ number: String, creditNote: Bool = false) throws -> Rendered {
        func one(_ format: String) throws -> EInvoiceXML {
            let result = try inv.call(creditNote ? "credit_note.render" : "invoice.render",
                                      ["number": .string(number), "format": .string(format)])
            #expect(result["content_type"] == "application/xml")
            return try EInvoiceXML(Base64.decode(try #require(result["data_base64"]?.stringValue))!, name: number + "." + format)
        }
        return Rendered(label: inv.tenant + "-" + number, ubl: try one("ubl"), cii: try one("cii"))
    }

    /// Every document passes the EN 16931 XSDs and schematron without a fatal rule.
    private func expectValid(_ documents: [Rendered], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var files: [(name: String, xml: [UInt8])] = []
        for (k, document) in documents.enumerated() {
            // (The same document may be rendered again after a change: each rendering is a file.)
            files.append((document.label + "-\(k).ubl", document.ubl.bytes))
            files.append((document.label + "-\(k).cii", document.cii.bytes))
        }
        let reports = try EN16931Validator.validate(files)
        for (name, _) in files {
            let report = try #require(reports[name], sourceLocation: sourceLocation)
            #expect(report.xsdErrors.isEmpty, "\(name): \(report.xsdErrors)", sourceLocation: sourceLocation)
            #expect(report.fatal.isEmpty, "\(name): \(report.fatal)", sourceLocation: sourceLocation)
        }
    }

    /// Expects the business term to be written exactly once with `value` in both syntaxes
    /// (nil: not at all). Dates are given as `YYYY-MM-DD`: CII writes them as format 102.
    private func expect(_ term: BusinessTerm, _ value: String?, in document: Rendered,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = value.map { [$0] } ?? []
        #expect(document.ubl.values(term.ubl) == expected, "\(document.label) UBL \(term.name)", sourceLocation: sourceLocation)
        let ciiExpected = term.isDate ? expected.map { $0.replacingOccurrences(of: "-", with: "") } : expected
        #expect(document.cii.values(term.cii) == ciiExpected, "\(document.label) CII \(term.name)", sourceLocation: sourceLocation)
        if term.isDate, value != nil {
            #expect(document.cii.values(term.cii + "/@format") == ["102"], "\(document.label) CII \(term.name) format",
                    sourceLocation: sourceLocation)
        }
    }

    // MARK: - Tests

    /// BT-20 and BT-9: the terms text and due date an invoice got when it was issued (the
    /// tenant's `payment_terms_text`, else derived from the days) stay in its e-invoices
    /// after the tenant's text and the customer's terms change; a credit note carries its
    /// invoice's terms text and no due date.
    @Test func paymentTermsTextAndDueDateAreThoseFrozenAtIssue() throws {
        let inv = try seller("einvfterms")
        let customer = try buyer(inv, terms: 14)
        let derived = try issue(inv, customer, ["issue_date": "2026-03-10"])
        #expect(derived["payment_terms_text"] == "Payment due within 14 days")
        #expect(derived["due_date"] == "2026-03-24")
        let immediate = try issue(inv, customer, ["issue_date": "2026-03-10", "payment_terms_days": 0])
        #expect(immediate["payment_terms_text"] == "Due upon receipt")
        #expect(immediate["due_date"] == "2026-03-10")
        let text = "Net 30 & 2 % <Skonto> within 10 days"
        _ = try inv.call("tenant.update", ["payment_terms_text": .string(text)])
        let tenantText = try issue(inv, customer, ["issue_date": "2026-03-11", "payment_terms_days": 30])
        #expect(tenantText["payment_terms_text"] == .string(text))
        #expect(tenantText["due_date"] == "2026-04-10")
        let credit = try inv.call("credit_note.create", ["invoice_id": JSON(tenantText.id), "reason": "Goodwill", "amount": "11.90"])

        // Everything the terms were made from changes afterwards.
        _ = try inv.call("tenant.update", ["payment_terms_text": "Changed after issue", "payment_terms_days": 45])
        _ = try inv.call("customer.update", ["id": JSON(customer), "payment_terms_days": 60])

        let documents = [
            (derived, "Payment due within 14 days", "2026-03-24"),
            (immediate, "Due upon receipt", "2026-03-10"),
            (tenantText, text, "2026-04-10"),
        ]
        var rendered: [Rendered] = []
        for (invoice, terms, due) in documents {
            let number = invoice["number"]!.stringValue!
            #expect(try inv.call("invoice.get", ["number": .string(number)])["payment_terms_text"] == .string(terms))
            let document = try render(inv, number)
            expect(.number, number, in: document)
            expect(.paymentTerms, terms, in: document)
            expect(.dueDate, due, in: document)
            rendered.append(document)
        }
        let note = try render(inv, credit["number"]!.stringValue!, creditNote: true)
        expect(.paymentTerms, text, in: note)
        expect(.dueDate, nil, in: note)
        expect(.invoiceReference, tenantText["number"]!.stringValue!, in: note)
        expect(.invoiceReferenceDate, "2026-03-11", in: note)
        expect(.note, "Goodwill", in: note)
        try expectValid(rendered + [note])
    }

    /// BT-13: an invoice made by `invoice.create_from_order` carries the order's PO number
    /// as the order reference, and its latest delivery's shipping date as BT-72; the
    /// customer's shipping address is the deliver-to address.
    @Test func anInvoiceFromAnOrderCarriesThePONumberAndDelivery() throws {
        let inv = try seller("einvforder")
        let orders = Ordering(client: inv.client, tenant: inv.tenant)
        _ = try orders.item("BOLT", price: "2.50", tax: "S19")
        _ = try orders.item("NUT", price: "0.80", tax: "S19")
        let customer = try buyer(inv, shipping: ["line1": "Zone Industrielle 4", "city": "Lyon", "postal_code": "69007",
                                                 "country": "FR"])
        let po = "PO-2026/0042 <Rush> & \"Co\""
        let order = try orders.confirmedOrder(customer: customer, po: po, [("BOLT", "100", nil), ("NUT", "100", nil)])
        let orderID = order.id
        _ = try orders.deliver(orderID, [(1, "60")], on: "2026-03-05")
        _ = try orders.deliver(orderID, [(1, "40"), (2, "25")], on: "2026-03-07")
        let invoice = try inv.call("invoice.create_from_order", ["order_id": JSON(orderID), "issue": true])
        #expect(invoice["po_number"] == .string(po))
        #expect(invoice["delivery_date"] == "2026-03-07")
        let document = try render(inv, invoice["number"]!.stringValue!)
        expect(.orderReference, po, in: document)
        expect(.deliveryDate, "2026-03-07", in: document)
        expect(.deliverToStreet, "Zone Industrielle 4", in: document)
        expect(.deliverToCity, "Lyon", in: document)
        expect(.deliverToPostalCode, "69007", in: document)
        expect(.deliverToCountry, "FR", in: document)

        // The rest of the order, billed later, is a second invoice citing the same order.
        _ = try orders.deliver(orderID, [(2, "75")], on: "2026-03-09")
        let rest = try inv.call("invoice.create_from_order", ["order_id": JSON(orderID), "issue": true])
        let second = try render(inv, rest["number"]!.stringValue!)
        expect(.orderReference, po, in: second)
        expect(.deliveryDate, "2026-03-09", in: second)
        // An invoice without a PO number has no order reference.
        let plain = try render(inv, try issue(inv, customer)["number"]!.stringValue!)
        expect(.orderReference, nil, in: plain)
        expect(.deliveryDate, nil, in: plain)
        try expectValid([document, second, plain])
    }

    /// BT-73/BT-74: each invoice `recurring.run` makes carries its own period, and the
    /// schedule's PO number and notes.
    @Test func aRecurringInvoiceCarriesItsInvoicingPeriod() throws {
        let inv = try seller("einvfrec")
        let customer = try buyer(inv)
        let schedule = try inv.call("recurring.create", [
            "customer_id": JSON(customer), "interval": "monthly", "start_date": "2026-01-15",
            "lines": [line("Hosting", "1", "49.00")], "po_number": "CONTRACT-7", "notes": "Monthly hosting",
        ])
        let run = try inv.call("recurring.run", ["as_of": "2026-02-20"])
        #expect(run["failed"] == .array([]))
        let generated = run["generated"]?.arrayValue ?? []
        #expect(generated.map { $0["schedule_id"] } == [JSON(schedule.id), JSON(schedule.id)])
        let periods = [("2026-01-15", "2026-02-14"), ("2026-02-15", "2026-03-14")]
        #expect(generated.map { "\($0["period_start"]?.stringValue ?? "")..\($0["period_end"]?.stringValue ?? "")" }
                == periods.map { "\($0.0)..\($0.1)" })
        var rendered: [Rendered] = []
        for (item, period) in zip(generated, periods) {
            let document = try render(inv, try #require(item["number"]?.stringValue))
            expect(.periodStart, period.0, in: document)
            expect(.periodEnd, period.1, in: document)
            expect(.issueDate, "2026-02-20", in: document)
            expect(.orderReference, "CONTRACT-7", in: document)
            expect(.note, "Monthly hosting", in: document)
            rendered.append(document)
        }
        // An invoice without a period has none.
        let plain = try render(inv, try issue(inv, customer)["number"]!.stringValue!)
        expect(.periodStart, nil, in: plain)
        expect(.periodEnd, nil, in: plain)
        try expectValid(rendered + [plain])
    }

    /// BT-81..BT-86: payment means 30 (credit transfer) with the tenant's IBAN (stored
    /// without spaces, upper case), BIC and account name, and the invoice number as the
    /// payment reference; without an account, payment means 1 and no account. A new
    /// account shows in documents rendered after the change.
    @Test func paymentMeansAndTheSellersAccountComeFromTheTenantSettings() throws {
        let inv = try seller("einvfpay")
        let customer = try buyer(inv)
        let number = try issue(inv, customer)["number"]!.stringValue!
        let transfer = try render(inv, number)
        expect(.paymentMeans, "30", in: transfer)
        expect(.paymentReference, number, in: transfer)
        expect(.iban, Self.iban, in: transfer)
        expect(.bic, "COBADEFFXXX", in: transfer)
        expect(.accountName, "Folio Fields GmbH", in: transfer)

        _ = try inv.call("tenant.update", ["payment_account": ["iban": "GB29 NWBK 6016 1331 9268 19"]])
        let changed = try render(inv, number)
        expect(.paymentMeans, "30", in: changed)
        expect(.iban, "GB29NWBK60161331926819", in: changed)
        expect(.bic, nil, in: changed)
        expect(.accountName, nil, in: changed)

        _ = try inv.call("tenant.update", ["payment_account": .null])
        let noAccount = try render(inv, number)
        expect(.paymentMeans, "1", in: noAccount)
        expect(.paymentReference, number, in: noAccount)
        expect(.iban, nil, in: noAccount)
        expect(.bic, nil, in: noAccount)
        try expectValid([transfer, changed, noAccount])
    }

    /// BT-27..BT-58: seller and buyer names, VAT ids (BT-31, BT-48), the seller's
    /// registration id (BT-30), electronic addresses (BT-34, BT-49), countries (written
    /// upper case) and contact e-mails. A customer tax id without a country prefix is no VAT id and is left
    /// out; a category O document carries no VAT ids at all.
    @Test func sellerAndBuyerIdentifiers() throws {
        let inv = try seller("einvfparty")
        let customer = try buyer(inv, country: "fr")
        let document = try render(inv, try issue(inv, customer)["number"]!.stringValue!)
        expect(.sellerName, "Folio Fields GmbH", in: document)
        expect(.sellerVAT, "DE123456789", in: document)
        expect(.sellerRegistration, "HRB 12345 B", in: document)
        expect(.sellerEndpoint, "4000001000005", in: document)
        expect(.sellerEndpointScheme, "0088", in: document)
        expect(.sellerCountry, "DE", in: document)
        expect(.buyerName, "Client SARL", in: document)
        expect(.buyerVAT, "FR40303265045", in: document)
        expect(.buyerEndpoint, "30326504500018", in: document)
        expect(.buyerEndpointScheme, "0009", in: document)
        expect(.buyerCountry, "FR", in: document)
        expect(.sellerEmail, "billing@seller.example", in: document)
        expect(.buyerEmail, "ap@client.example", in: document)
        // The VAT ids are VAT registrations (UBL tax scheme VAT, CII scheme VA).
        #expect(document.ubl.values("/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID") == ["VAT"])
        #expect(document.ubl.values("/*/cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID") == ["VAT"])
        #expect(document.cii.values(BusinessTerm.sellerVAT.cii + "/@schemeID") == ["VA"])
        #expect(document.cii.values(BusinessTerm.buyerVAT.cii + "/@schemeID") == ["VA"])

        let ein = try buyer(inv, name: "US Client Inc.", country: "US", vat: "12-3456789")
        let withEIN = try render(inv, try issue(inv, ein)["number"]!.stringValue!)
        expect(.buyerName, "US Client Inc.", in: withEIN)
        expect(.buyerVAT, nil, in: withEIN)
        expect(.sellerVAT, "DE123456789", in: withEIN)
        expect(.buyerCountry, "US", in: withEIN)

        let outOfScope = try render(inv, try issue(inv, customer, lines: [line("Donation", "1", "250.00", "OUT")])["number"]!.stringValue!)
        expect(.sellerVAT, nil, in: outOfScope)
        expect(.buyerVAT, nil, in: outOfScope)
        expect(.sellerRegistration, "HRB 12345 B", in: outOfScope)
        try expectValid([document, withEIN, outOfScope])
    }

    /// BT-72, BT-75..BT-80: the customer's shipping address is the deliver-to address,
    /// with the invoice's delivery date; without one there is no deliver-to address,
    /// except for an intra-community supply (K), whose deliver-to is the billing address.
    @Test func deliverToAddressAndDeliveryDate() throws {
        let inv = try seller("einvfship")
        let shipping: JSONObject = ["line1": "Zone Industrielle 4", "line2": "Quai 7", "city": "Lyon", "postal_code": "69007",
                                    "region": "Auvergne-Rhône-Alpes", "country": "fr"]
        let shipped = try buyer(inv, shipping: shipping)
        let document = try render(inv, try issue(inv, shipped, ["delivery_date": "2026-03-02"])["number"]!.stringValue!)
        expect(.deliveryDate, "2026-03-02", in: document)
        expect(.deliverToStreet, "Zone Industrielle 4", in: document)
        expect(.deliverToAdditionalStreet, "Quai 7", in: document)
        expect(.deliverToCity, "Lyon", in: document)
        expect(.deliverToPostalCode, "69007", in: document)
        expect(.deliverToRegion, "Auvergne-Rhône-Alpes", in: document)
        expect(.deliverToCountry, "FR", in: document)
        // The billing address stays the buyer's address.
        #expect(document.ubl.values("/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:CityName") == ["Paris"])
        #expect(document.cii.values(BusinessTerm.agreement + "/ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == ["Paris"])

        let unshipped = try buyer(inv, name: "Pickup SAS")
        let pickup = try render(inv, try issue(inv, unshipped)["number"]!.stringValue!)
        expect(.deliveryDate, nil, in: pickup)
        expect(.deliverToCity, nil, in: pickup)
        expect(.deliverToCountry, nil, in: pickup)

        let intraCommunity = try render(inv, try issue(inv, unshipped, ["delivery_date": "2026-03-03"],
                                                       lines: [line("Parts", "4", "19.95", "IC")])["number"]!.stringValue!)
        expect(.deliveryDate, "2026-03-03", in: intraCommunity)
        expect(.deliverToStreet, "1 rue de la Paix", in: intraCommunity)
        expect(.deliverToCity, "Paris", in: intraCommunity)
        expect(.deliverToCountry, "FR", in: intraCommunity)
        // An intra-community supply may name its period instead of a delivery date (BR-IC-11).
        let period = try render(inv, try issue(inv, shipped, ["period_start": "2026-02-01", "period_end": "2026-02-28"],
                                               lines: [line("Parts", "4", "19.95", "IC")])["number"]!.stringValue!)
        expect(.deliveryDate, nil, in: period)
        expect(.periodStart, "2026-02-01", in: period)
        expect(.periodEnd, "2026-02-28", in: period)
        expect(.deliverToCity, "Lyon", in: period)
        try expectValid([document, pickup, intraCommunity, period])
    }
}

/// A business term of EN 16931 and where UBL and CII write it.
struct BusinessTerm {
    let name: String
    let ubl: String
    let cii: String
    var isDate = false

    static let transaction = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
    static let agreement = transaction + "/ram:ApplicableHeaderTradeAgreement"
    static let delivery = transaction + "/ram:ApplicableHeaderTradeDelivery"
    static let settlement = transaction + "/ram:ApplicableHeaderTradeSettlement"
    static let ublSeller = "/*/cac:AccountingSupplierParty/cac:Party"
    static let ublBuyer = "/*/cac:AccountingCustomerParty/cac:Party"
    static let ublAccount = "/*/cac:PaymentMeans/cac:PayeeFinancialAccount"
    static let ciiMeans = settlement + "/ram:SpecifiedTradeSettlementPaymentMeans"
    static let ublShipTo = "/*/cac:Delivery/cac:DeliveryLocation/cac:Address"
    static let ciiShipTo = delivery + "/ram:ShipToTradeParty/ram:PostalTradeAddress"

    static let number = BusinessTerm(name: "BT-1", ubl: "/*/cbc:ID", cii: "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID")
    static let issueDate = BusinessTerm(name: "BT-2", ubl: "/*/cbc:IssueDate",
                                cii: "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
                                isDate: true)
    static let dueDate = BusinessTerm(name: "BT-9", ubl: "/*/cbc:DueDate",
                              cii: settlement + "/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
                              isDate: true)
    static let orderReference = BusinessTerm(name: "BT-13", ubl: "/*/cac:OrderReference/cbc:ID",
                                     cii: agreement + "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")
    static let paymentTerms = BusinessTerm(name: "BT-20", ubl: "/*/cac:PaymentTerms/cbc:Note",
                                   cii: settlement + "/ram:SpecifiedTradePaymentTerms/ram:Description")
    static let note = BusinessTerm(name: "BT-22", ubl: "/*/cbc:Note",
                           cii: "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    static let invoiceReference = BusinessTerm(name: "BT-25", ubl: "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
                                       cii: settlement + "/ram:InvoiceReferencedDocument/ram:IssuerAssignedID")
    static let invoiceReferenceDate = BusinessTerm(
        name: "BT-26", ubl: "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate",
        cii: settlement + "/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString", isDate: true)
    static let sellerName = BusinessTerm(name: "BT-27", ubl: ublSeller + "/cac:PartyLegalEntity/cbc:RegistrationName",
                                 cii: agreement + "/ram:SellerTradeParty/ram:Name")
    static let sellerRegistration = BusinessTerm(name: "BT-30", ubl: ublSeller + "/cac:PartyLegalEntity/cbc:CompanyID",
                                         cii: agreement + "/ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID")
    static let sellerVAT = BusinessTerm(name: "BT-31", ubl: ublSeller + "/cac:PartyTaxScheme/cbc:CompanyID",
                                cii: agreement + "/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID")
    static let sellerEndpoint = BusinessTerm(name: "BT-34", ubl: ublSeller + "/cbc:EndpointID",
                                     cii: agreement + "/ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID")
    static let sellerEndpointScheme = BusinessTerm(name: "BT-34 scheme", ubl: sellerEndpoint.ubl + "/@schemeID",
                                           cii: sellerEndpoint.cii + "/@schemeID")
    static let sellerCountry = BusinessTerm(name: "BT-40", ubl: ublSeller + "/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
                                    cii: agreement + "/ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID")
    static let sellerEmail = BusinessTerm(
        name: "BT-43", ubl: ublSeller + "/cac:Contact/cbc:ElectronicMail",
        cii: agreement + "/ram:SellerTradeParty/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID")
    static let buyerName = BusinessTerm(name: "BT-44", ubl: ublBuyer + "/cac:PartyLegalEntity/cbc:RegistrationName",
                                cii: agreement + "/ram:BuyerTradeParty/ram:Name")
    static let buyerVAT = BusinessTerm(name: "BT-48", ubl: ublBuyer + "/cac:PartyTaxScheme/cbc:CompanyID",
                               cii: agreement + "/ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID")
    static let buyerEndpoint = BusinessTerm(name: "BT-49", ubl: ublBuyer + "/cbc:EndpointID",
                                    cii: agreement + "/ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID")
    static let buyerEndpointScheme = BusinessTerm(name: "BT-49 scheme", ubl: buyerEndpoint.ubl + "/@schemeID",
                                          cii: buyerEndpoint.cii + "/@schemeID")
    static let buyerCountry = BusinessTerm(name: "BT-55", ubl: ublBuyer + "/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
                                   cii: agreement + "/ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID")
    static let buyerEmail = BusinessTerm(
        name: "BT-58", ubl: ublBuyer + "/cac:Contact/cbc:ElectronicMail",
        cii: agreement + "/ram:BuyerTradeParty/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID")
    static let deliveryDate = BusinessTerm(name: "BT-72", ubl: "/*/cac:Delivery/cbc:ActualDeliveryDate",
                                   cii: delivery + "/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString",
                                   isDate: true)
    static let periodStart = BusinessTerm(name: "BT-73", ubl: "/*/cac:InvoicePeriod/cbc:StartDate",
                                  cii: settlement + "/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
                                  isDate: true)
    static let periodEnd = BusinessTerm(name: "BT-74", ubl: "/*/cac:InvoicePeriod/cbc:EndDate",
                                cii: settlement + "/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
                                isDate: true)
    static let deliverToStreet = BusinessTerm(name: "BT-75", ubl: ublShipTo + "/cbc:StreetName", cii: ciiShipTo + "/ram:LineOne")
    static let deliverToAdditionalStreet = BusinessTerm(name: "BT-76", ubl: ublShipTo + "/cbc:AdditionalStreetName",
                                                cii: ciiShipTo + "/ram:LineTwo")
    static let deliverToCity = BusinessTerm(name: "BT-77", ubl: ublShipTo + "/cbc:CityName", cii: ciiShipTo + "/ram:CityName")
    static let deliverToPostalCode = BusinessTerm(name: "BT-78", ubl: ublShipTo + "/cbc:PostalZone", cii: ciiShipTo + "/ram:PostcodeCode")
    static let deliverToRegion = BusinessTerm(name: "BT-79", ubl: ublShipTo + "/cbc:CountrySubentity",
                                      cii: ciiShipTo + "/ram:CountrySubDivisionName")
    static let deliverToCountry = BusinessTerm(name: "BT-80", ubl: ublShipTo + "/cac:Country/cbc:IdentificationCode",
                                       cii: ciiShipTo + "/ram:CountryID")
    static let paymentMeans = BusinessTerm(name: "BT-81", ubl: "/*/cac:PaymentMeans/cbc:PaymentMeansCode", cii: ciiMeans + "/ram:TypeCode")
    static let paymentReference = BusinessTerm(name: "BT-83", ubl: "/*/cac:PaymentMeans/cbc:PaymentID",
                                       cii: settlement + "/ram:PaymentReference")
    static let iban = BusinessTerm(name: "BT-84", ubl: ublAccount + "/cbc:ID",
                           cii: ciiMeans + "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
    static let accountName = BusinessTerm(name: "BT-85", ubl: ublAccount + "/cbc:Name",
                                  cii: ciiMeans + "/ram:PayeePartyCreditorFinancialAccount/ram:AccountName")
    static let bic = BusinessTerm(name: "BT-86", ubl: ublAccount + "/cac:FinancialInstitutionBranch/cbc:ID",
                          cii: ciiMeans + "/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID")
}

/// A rendered e-invoice parsed with Foundation's `XMLDocument`, read with XPath 1.0.
/// Paths name elements by the conventional prefixes (`cac`, `cbc`, `rsm`, `ram`, `udt`,
/// `qdt`); each `prefix:Name` step is matched by namespace URI and local name, so the
/// prefixes the document itself declares do not matter.
struct EInvoiceXML {
    static let namespaces = [
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
        "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    ]

    let bytes: [UInt8]
    let name: String
    private let document: XMLDocument

    init(_ bytes: [UInt8], name: String) throws {
        self.bytes = bytes
        self.name = name
        document = try XMLDocument(data: Data(bytes), options: [])
    }

    /// The text of every node `path` selects, in document order.
    func values(_ path: String) -> [String] {
        do {
            return try document.nodes(forXPath: Self.translate(path)).map { $0.stringValue ?? "" }
        } catch {
            Issue.record("\(name): XPath \(path): \(error)")
            return []
        }
    }

    /// `/*/cac:Delivery/@schemeID` -> steps matching namespace URI and local name.
    static func translate(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { step -> String in
            let parts = step.split(separator: ":")
            guard parts.count == 2, !step.hasPrefix("@"), let uri = namespaces[String(parts[0])] else { return String(step) }
            return "*[local-name()='\(parts[1])' and namespace-uri()='\(uri)']"
        }.joined(separator: "/")
    }
}
