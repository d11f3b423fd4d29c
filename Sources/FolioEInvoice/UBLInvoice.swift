import FolioDomain

/// UBL 2.1 Invoice and CreditNote conforming to EN 16931 (CustomizationID
/// `urn:cen.eu:en16931:2017`), element order as the UBL 2.1 schemas require.
public enum UBLInvoice {
    static let cac = XMLNamespace(prefix: "cac", uri: "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2")
    static let cbc = XMLNamespace(prefix: "cbc", uri: "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2")
    static let invoiceRoot = XMLNamespace(prefix: "", uri: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2")
    static let creditNoteRoot = XMLNamespace(prefix: "", uri: "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2")

    /// The document as UTF-8 XML.
    public static func xml(_ doc: EInvoiceInput) throws -> [UInt8] {
        let root = doc.isCreditNote ? creditNoteRoot : invoiceRoot
        var w = XMLWriter(namespaces: [root, cac, cbc])
        let currency = [(XMLName(namespace: nil, local: "currencyID"), doc.currency)]
        func money(_ name: String, _ value: ExactDecimal, _ field: String) throws {
            w.element(cbc(name), try doc.amount(value, field), currency)
        }
        w.start(root(doc.isCreditNote ? "CreditNote" : "Invoice"))
        w.element(cbc("CustomizationID"), "urn:cen.eu:en16931:2017")
        w.element(cbc("ID"), doc.number)
        w.element(cbc("IssueDate"), doc.issueDate)
        if doc.isCreditNote {
            w.element(cbc("CreditNoteTypeCode"), "381")
        } else {
            w.element(cbc("DueDate"), doc.dueDate)
            w.element(cbc("InvoiceTypeCode"), "380")
        }
        w.element(cbc("Note"), doc.note)
        w.element(cbc("DocumentCurrencyCode"), doc.currency)
        if let period = doc.period {
            w.element(cac("InvoicePeriod")) { w in
                w.element(cbc("StartDate"), period.start)
                w.element(cbc("EndDate"), period.end)
            }
        }
        if let po = doc.poNumber {
            w.element(cac("OrderReference")) { w in w.element(cbc("ID"), po) }
        }
        if let reference = doc.invoiceReference {
            w.element(cac("BillingReference")) { w in
                w.element(cac("InvoiceDocumentReference")) { w in
                    w.element(cbc("ID"), reference.number)
                    w.element(cbc("IssueDate"), reference.issueDate)
                }
            }
        }
        w.element(cac("AccountingSupplierParty")) { w in party(&w, doc.seller, seller: true, doc) }
        w.element(cac("AccountingCustomerParty")) { w in party(&w, doc.buyer, seller: false, doc) }
        if doc.deliveryDate != nil || doc.deliverTo != nil {
            w.element(cac("Delivery")) { w in
                w.element(cbc("ActualDeliveryDate"), doc.deliveryDate)
                if let address = doc.deliverTo {
                    w.element(cac("DeliveryLocation")) { w in postalAddress(&w, address, "Address") }
                }
            }
        }
        w.element(cac("PaymentMeans")) { w in
            if let account = doc.account {
                w.element(cbc("PaymentMeansCode"), "30")
                w.element(cbc("PaymentID"), doc.number)
                w.element(cac("PayeeFinancialAccount")) { w in
                    w.element(cbc("ID"), account.iban)
                    w.element(cbc("Name"), account.name)
                    if let bic = account.bic {
                        w.element(cac("FinancialInstitutionBranch")) { w in w.element(cbc("ID"), bic) }
                    }
                }
            } else {
                w.element(cbc("PaymentMeansCode"), "1")
                w.element(cbc("PaymentID"), doc.number)
            }
        }
        if let terms = doc.paymentTerms {
            w.element(cac("PaymentTerms")) { w in w.element(cbc("Note"), terms) }
        }
        for (k, adjustment) in doc.adjustments.enumerated() {
            let field = (adjustment.isCharge ? "charges" : "allowances") + "[\(k)]"
            w.start(cac("AllowanceCharge"))
            w.element(cbc("ChargeIndicator"), adjustment.isCharge ? "true" : "false")
            w.element(cbc("AllowanceChargeReason"), adjustment.reason)
            if let base = adjustment.base, let percent = adjustment.percent {
                w.element(cbc("MultiplierFactorNumeric"), percent)
                try money("Amount", adjustment.amount, field)
                try money("BaseAmount", base, field)
            } else {
                try money("Amount", adjustment.amount, field)
            }
            taxCategory(&w, "TaxCategory", adjustment.vat, reason: nil)
            w.end()
        }
        w.start(cac("TaxTotal"))
        try money("TaxAmount", doc.taxTotal, "tax_total")
        for group in doc.vatGroups {
            w.start(cac("TaxSubtotal"))
            try money("TaxableAmount", group.taxable, "tax_breakdown")
            try money("TaxAmount", group.tax, "tax_breakdown")
            taxCategory(&w, "TaxCategory", EInvoiceInput.VAT(category: group.category, percent: group.percent),
                        reason: group.exemptionReason)
            w.end()
        }
        w.end()
        w.start(cac("LegalMonetaryTotal"))
        try money("LineExtensionAmount", doc.lineTotal, "line_total")
        try money("TaxExclusiveAmount", doc.taxExclusive, "subtotal")
        try money("TaxInclusiveAmount", doc.taxInclusive, "total")
        if !doc.adjustments.filter({ !$0.isCharge }).isEmpty { try money("AllowanceTotalAmount", doc.allowanceTotal, "allowance_total") }
        if !doc.adjustments.filter(\.isCharge).isEmpty { try money("ChargeTotalAmount", doc.chargeTotal, "charge_total") }
        try money("PayableAmount", doc.taxInclusive, "total")
        w.end()
        for line in doc.lines {
            let field = "lines[\(line.id)]"
            w.start(cac(doc.isCreditNote ? "CreditNoteLine" : "InvoiceLine"))
            w.element(cbc("ID"), line.id)
            w.element(cbc(doc.isCreditNote ? "CreditedQuantity" : "InvoicedQuantity"), line.quantity,
                      [(XMLName(namespace: nil, local: "unitCode"), line.unit)])
            try money("LineExtensionAmount", line.net, field)
            if line.discount != .zero || line.discountPercent != nil {
                w.start(cac("AllowanceCharge"))
                w.element(cbc("ChargeIndicator"), "false")
                w.element(cbc("AllowanceChargeReason"), line.discountReason ?? "Discount")
                w.element(cbc("MultiplierFactorNumeric"), line.discountPercent)
                try money("Amount", line.discount, field)
                try money("BaseAmount", line.net + line.discount, field)
                w.end()
            }
            w.element(cac("Item")) { w in
                w.element(cbc("Name"), String(line.name.prefix(200)))
                taxCategory(&w, "ClassifiedTaxCategory", line.vat, reason: nil)
            }
            w.element(cac("Price")) { w in
                w.element(cbc("PriceAmount"), line.unitPrice, currency)
            }
            w.end()
        }
        w.end()
        return w.bytes
    }

    private static func taxCategory(_ w: inout XMLWriter, _ name: String, _ vat: EInvoiceInput.VAT, reason: String?) {
        w.element(cac(name)) { w in
            w.element(cbc("ID"), vat.category)
            if EInvoiceInput.hasRate(vat.category) {
                w.element(cbc("Percent"), EInvoiceInput.percentText(vat.percent))
            }
            w.element(cbc("TaxExemptionReason"), reason)
            w.element(cac("TaxScheme")) { w in w.element(cbc("ID"), "VAT") }
        }
    }

    private static func postalAddress(_ w: inout XMLWriter, _ address: EInvoiceInput.Address, _ name: String) {
        w.element(cac(name)) { w in
            w.element(cbc("StreetName"), address.line1)
            w.element(cbc("AdditionalStreetName"), address.line2)
            w.element(cbc("CityName"), address.city)
            w.element(cbc("PostalZone"), address.postalCode)
            w.element(cbc("CountrySubentity"), address.region)
            w.element(cac("Country")) { w in w.element(cbc("IdentificationCode"), address.country) }
        }
    }

    private static func party(_ w: inout XMLWriter, _ party: EInvoiceInput.Party, seller: Bool, _ doc: EInvoiceInput) {
        // Category O documents carry no VAT ids (BR-O-02).
        let outOfScope = doc.vatGroups.contains { $0.category == "O" }
        w.element(cac("Party")) { w in
            if let endpoint = party.endpoint {
                w.element(cbc("EndpointID"), endpoint.id, [(XMLName(namespace: nil, local: "schemeID"), endpoint.scheme)])
            }
            postalAddress(&w, party.address, "PostalAddress")
            if let vat = party.vatID, !outOfScope {
                w.element(cac("PartyTaxScheme")) { w in
                    w.element(cbc("CompanyID"), vat)
                    w.element(cac("TaxScheme")) { w in w.element(cbc("ID"), "VAT") }
                }
            }
            w.element(cac("PartyLegalEntity")) { w in
                w.element(cbc("RegistrationName"), party.name)
                w.element(cbc("CompanyID"), party.registrationID)
            }
            if party.email != nil || party.phone != nil {
                w.element(cac("Contact")) { w in
                    w.element(cbc("Telephone"), party.phone)
                    w.element(cbc("ElectronicMail"), party.email)
                }
            }
        }
    }
}
