import FolioDomain

/// UN/CEFACT Cross Industry Invoice D16B conforming to EN 16931 (guideline
/// `urn:cen.eu:en16931:2017`), element order as the D16B schema requires.
public enum CIIInvoice {
    static let rsm = XMLNamespace(prefix: "rsm", uri: "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100")
    static let ram = XMLNamespace(prefix: "ram", uri: "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100")
    static let udt = XMLNamespace(prefix: "udt", uri: "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100")
    static let qdt = XMLNamespace(prefix: "qdt", uri: "urn:un:unece:uncefact:data:standard:QualifiedDataType:100")

    /// The document as UTF-8 XML.
    public static func xml(_ doc: EInvoiceInput) throws -> [UInt8] {
        var w = XMLWriter(namespaces: [rsm, qdt, ram, udt])
        func money(_ name: String, _ value: ExactDecimal, _ field: String, currency: Bool = false) throws {
            w.element(ram(name), try doc.amount(value, field),
                      currency ? [(XMLName(namespace: nil, local: "currencyID"), doc.currency)] : [])
        }
        w.start(rsm("CrossIndustryInvoice"))
        w.element(rsm("ExchangedDocumentContext")) { w in
            w.element(ram("GuidelineSpecifiedDocumentContextParameter")) { w in w.element(ram("ID"), "urn:cen.eu:en16931:2017") }
        }
        w.element(rsm("ExchangedDocument")) { w in
            w.element(ram("ID"), doc.number)
            w.element(ram("TypeCode"), doc.isCreditNote ? "381" : "380")
            date(&w, ram("IssueDateTime"), doc.issueDate)
            if let note = doc.note {
                w.element(ram("IncludedNote")) { w in w.element(ram("Content"), note) }
            }
        }
        w.start(rsm("SupplyChainTradeTransaction"))
        for line in doc.lines {
            let field = "lines[\(line.id)]"
            w.start(ram("IncludedSupplyChainTradeLineItem"))
            w.element(ram("AssociatedDocumentLineDocument")) { w in w.element(ram("LineID"), line.id) }
            w.element(ram("SpecifiedTradeProduct")) { w in w.element(ram("Name"), String(line.name.prefix(200))) }
            w.element(ram("SpecifiedLineTradeAgreement")) { w in
                w.element(ram("NetPriceProductTradePrice")) { w in w.element(ram("ChargeAmount"), line.unitPrice) }
            }
            w.element(ram("SpecifiedLineTradeDelivery")) { w in
                w.element(ram("BilledQuantity"), line.quantity, [(XMLName(namespace: nil, local: "unitCode"), line.unit)])
            }
            w.start(ram("SpecifiedLineTradeSettlement"))
            w.element(ram("ApplicableTradeTax")) { w in
                w.element(ram("TypeCode"), "VAT")
                w.element(ram("CategoryCode"), line.vat.category)
                if EInvoiceInput.hasRate(line.vat.category) {
                    w.element(ram("RateApplicablePercent"), EInvoiceInput.percentText(line.vat.percent))
                }
            }
            if line.discount != .zero || line.discountPercent != nil {
                w.start(ram("SpecifiedTradeAllowanceCharge"))
                w.element(ram("ChargeIndicator")) { w in w.element(udt("Indicator"), "false") }
                w.element(ram("CalculationPercent"), line.discountPercent)
                try money("BasisAmount", line.net + line.discount, field)
                try money("ActualAmount", line.discount, field)
                w.element(ram("Reason"), line.discountReason ?? "Discount")
                w.end()
            }
            w.start(ram("SpecifiedTradeSettlementLineMonetarySummation"))
            try money("LineTotalAmount", line.net, field)
            w.end()
            w.end()
            w.end()
        }
        w.element(ram("ApplicableHeaderTradeAgreement")) { w in
            party(&w, "SellerTradeParty", doc.seller, doc)
            party(&w, "BuyerTradeParty", doc.buyer, doc)
            if let po = doc.poNumber {
                w.element(ram("BuyerOrderReferencedDocument")) { w in w.element(ram("IssuerAssignedID"), po) }
            }
        }
        w.element(ram("ApplicableHeaderTradeDelivery")) { w in
            if let address = doc.deliverTo {
                w.element(ram("ShipToTradeParty")) { w in postalAddress(&w, address) }
            }
            if let delivered = doc.deliveryDate {
                w.element(ram("ActualDeliverySupplyChainEvent")) { w in date(&w, ram("OccurrenceDateTime"), delivered) }
            }
        }
        w.start(ram("ApplicableHeaderTradeSettlement"))
        w.element(ram("PaymentReference"), doc.number)
        w.element(ram("InvoiceCurrencyCode"), doc.currency)
        w.element(ram("SpecifiedTradeSettlementPaymentMeans")) { w in
            if let account = doc.account {
                w.element(ram("TypeCode"), "30")
                w.element(ram("PayeePartyCreditorFinancialAccount")) { w in
                    w.element(ram("IBANID"), account.iban)
                    w.element(ram("AccountName"), account.name)
                }
                if let bic = account.bic {
                    w.element(ram("PayeeSpecifiedCreditorFinancialInstitution")) { w in w.element(ram("BICID"), bic) }
                }
            } else {
                w.element(ram("TypeCode"), "1")
            }
        }
        for group in doc.vatGroups {
            w.start(ram("ApplicableTradeTax"))
            try money("CalculatedAmount", group.tax, "tax_breakdown")
            w.element(ram("TypeCode"), "VAT")
            w.element(ram("ExemptionReason"), group.exemptionReason)
            try money("BasisAmount", group.taxable, "tax_breakdown")
            w.element(ram("CategoryCode"), group.category)
            if EInvoiceInput.hasRate(group.category) {
                w.element(ram("RateApplicablePercent"), EInvoiceInput.percentText(group.percent))
            }
            w.end()
        }
        if let period = doc.period {
            w.element(ram("BillingSpecifiedPeriod")) { w in
                date(&w, ram("StartDateTime"), period.start)
                date(&w, ram("EndDateTime"), period.end)
            }
        }
        for (k, adjustment) in doc.adjustments.enumerated() {
            let field = (adjustment.isCharge ? "charges" : "allowances") + "[\(k)]"
            w.start(ram("SpecifiedTradeAllowanceCharge"))
            w.element(ram("ChargeIndicator")) { w in w.element(udt("Indicator"), adjustment.isCharge ? "true" : "false") }
            if let base = adjustment.base, let percent = adjustment.percent {
                w.element(ram("CalculationPercent"), percent)
                try money("BasisAmount", base, field)
            }
            try money("ActualAmount", adjustment.amount, field)
            w.element(ram("Reason"), adjustment.reason)
            w.element(ram("CategoryTradeTax")) { w in
                w.element(ram("TypeCode"), "VAT")
                w.element(ram("CategoryCode"), adjustment.vat.category)
                if EInvoiceInput.hasRate(adjustment.vat.category) {
                    w.element(ram("RateApplicablePercent"), EInvoiceInput.percentText(adjustment.vat.percent))
                }
            }
            w.end()
        }
        if doc.paymentTerms != nil || doc.dueDate != nil {
            w.element(ram("SpecifiedTradePaymentTerms")) { w in
                w.element(ram("Description"), doc.paymentTerms)
                if let due = doc.dueDate { date(&w, ram("DueDateDateTime"), due) }
            }
        }
        w.start(ram("SpecifiedTradeSettlementHeaderMonetarySummation"))
        try money("LineTotalAmount", doc.lineTotal, "line_total")
        if !doc.adjustments.filter(\.isCharge).isEmpty { try money("ChargeTotalAmount", doc.chargeTotal, "charge_total") }
        if !doc.adjustments.filter({ !$0.isCharge }).isEmpty { try money("AllowanceTotalAmount", doc.allowanceTotal, "allowance_total") }
        try money("TaxBasisTotalAmount", doc.taxExclusive, "subtotal")
        try money("TaxTotalAmount", doc.taxTotal, "tax_total", currency: true)
        try money("GrandTotalAmount", doc.taxInclusive, "total")
        try money("DuePayableAmount", doc.taxInclusive, "total")
        w.end()
        if let reference = doc.invoiceReference {
            w.element(ram("InvoiceReferencedDocument")) { w in
                w.element(ram("IssuerAssignedID"), reference.number)
                if let issued = reference.issueDate {
                    w.element(ram("FormattedIssueDateTime")) { w in
                        w.element(qdt("DateTimeString"), compact(issued), [(XMLName(namespace: nil, local: "format"), "102")])
                    }
                }
            }
        }
        w.end()
        w.end()
        w.end()
        return w.bytes
    }

    /// `2026-01-31` -> `20260131` (format 102).
    private static func compact(_ date: String) -> String { String(date.filter { $0 != "-" }) }

    private static func date(_ w: inout XMLWriter, _ name: XMLName, _ value: String) {
        w.element(name) { w in
            w.element(udt("DateTimeString"), compact(value), [(XMLName(namespace: nil, local: "format"), "102")])
        }
    }

    private static func postalAddress(_ w: inout XMLWriter, _ address: EInvoiceInput.Address) {
        w.element(ram("PostalTradeAddress")) { w in
            w.element(ram("PostcodeCode"), address.postalCode)
            w.element(ram("LineOne"), address.line1)
            w.element(ram("LineTwo"), address.line2)
            w.element(ram("CityName"), address.city)
            w.element(ram("CountryID"), address.country)
            w.element(ram("CountrySubDivisionName"), address.region)
        }
    }

    private static func party(_ w: inout XMLWriter, _ name: String, _ party: EInvoiceInput.Party, _ doc: EInvoiceInput) {
        let outOfScope = doc.vatGroups.contains { $0.category == "O" }
        w.element(ram(name)) { w in
            w.element(ram("Name"), party.name)
            if let registration = party.registrationID {
                w.element(ram("SpecifiedLegalOrganization")) { w in w.element(ram("ID"), registration) }
            }
            if party.email != nil || party.phone != nil {
                w.element(ram("DefinedTradeContact")) { w in
                    if let phone = party.phone {
                        w.element(ram("TelephoneUniversalCommunication")) { w in w.element(ram("CompleteNumber"), phone) }
                    }
                    if let email = party.email {
                        w.element(ram("EmailURIUniversalCommunication")) { w in w.element(ram("URIID"), email) }
                    }
                }
            }
            postalAddress(&w, party.address)
            if let endpoint = party.endpoint {
                w.element(ram("URIUniversalCommunication")) { w in
                    w.element(ram("URIID"), endpoint.id, [(XMLName(namespace: nil, local: "schemeID"), endpoint.scheme)])
                }
            }
            if let vat = party.vatID, !outOfScope {
                w.element(ram("SpecifiedTaxRegistration")) { w in
                    w.element(ram("ID"), vat, [(XMLName(namespace: nil, local: "schemeID"), "VA")])
                }
            }
        }
    }
}
