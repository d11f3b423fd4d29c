/// Every RPC method of Folio, in one table: its access rule, parameters and implementation.
public enum MethodCatalog {
    public static let all: [MethodSpec] = system + tenants + customers + items + taxRates + invoices + creditNotes
        + payments + reconciliation + disputes + reports + audit + transfers + documents
        + orders + collections

    private static let byName: [String: MethodSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func spec(_ name: String) -> MethodSpec? { byName[name] }

    // MARK: - Shared field sets

    static let paging: [Field] = [
        .optional("limit", .integer(min: 1, max: 500)),
        .optional("cursor", .text(min: 1, max: 200)),
    ]
    static let address = ParamType.object([
        .optional("line1", .text(max: 200), nullable: true),
        .optional("line2", .text(max: 200), nullable: true),
        .optional("city", .text(max: 100), nullable: true),
        .optional("region", .text(max: 100), nullable: true),
        .optional("postal_code", .text(max: 32), nullable: true),
        .optional("country", .text(max: 100), nullable: true),
    ])
    static let terms = ParamType.integer(min: 0, max: 3650)
    static let money = ParamType.decimal(scale: 4, integerDigits: 13)
    static let unitPrice = ParamType.decimal(scale: 6, integerDigits: 13)
    static let quantity = ParamType.decimal(scale: 3, integerDigits: 12)
    static let percent = ParamType.decimal(scale: 4, integerDigits: 3)
    static let currency = ParamType.text(min: 3, max: 3)
    static let taxCode = ParamType.text(min: 1, max: 32)

    static func method(_ name: String, _ access: Access, mutating: Bool = false, _ fields: [Field] = []) -> MethodSpec {
        let sqlName = name.replacingDots()
        return MethodSpec(name: name, access: access, mutating: mutating, fields: fields, implementation: .sql(sqlName))
    }

    static func control(_ name: String, _ method: MethodSpec.ControlMethod, _ access: Access, mutating: Bool = false,
                        _ fields: [Field] = []) -> MethodSpec {
        MethodSpec(name: name, access: access, mutating: mutating, fields: fields, implementation: .control(method))
    }

    static func document(_ name: String, _ method: MethodSpec.DocumentMethod, _ fields: [Field]) -> MethodSpec {
        MethodSpec(name: name, access: .tenant(.viewer), mutating: false, fields: fields, implementation: .document(method))
    }

    // MARK: - Methods

    static let system: [MethodSpec] = [
        MethodSpec(name: "system.ping", access: .anyone, mutating: false, fields: [], implementation: .ping),
        control("system.whoami", .whoami, .anyone),
    ]

    static let tenants: [MethodSpec] = [
        control("tenant.create", .tenantCreate, .admin, mutating: true, [
            .required("tenant", .slug),
            .required("name", .text(max: 200)),
            .required("currency", currency),
        ]),
        control("tenant.list", .tenantList, .anyone, paging),
        control("tenant.grant", .tenantGrant, .tenant(.owner), mutating: true, [
            .required("uid", .uid),
            .required("role", .choice(Role.allCases.map(\.rawValue))),
        ]),
        control("tenant.revoke", .tenantRevoke, .tenant(.owner), mutating: true, [.required("uid", .uid)]),
        control("tenant.members", .tenantMembers, .tenant(.owner), paging),
        method("tenant.get", .tenant(.viewer)),
        method("tenant.update", .tenant(.owner), mutating: true, [
            .optional("tax_rounding", .choice(["line", "document"])),
            .optional("payment_terms_days", terms),
            .optional("invoice_number_format", .line(max: 64)),
            .optional("credit_note_number_format", .line(max: 64)),
            .optional("legal_name", .text(max: 200), nullable: true),
            .optional("address", address, nullable: true),
            .optional("tax_id", .text(max: 64), nullable: true),
            .optional("email", .text(max: 254), nullable: true),
            .optional("phone", phone, nullable: true),
            .optional("timezone", .text(max: 64)),
            .optional("invoice_requires_receipt", .boolean),
            .optional("negative_stock", .choice(["allow", "forbid"])),
            .optional("registration_id", .text(max: 100), nullable: true),
            .optional("electronic_address", electronicAddress, nullable: true),
            .optional("payment_account", paymentAccount, nullable: true),
            .optional("einvoice_attachment", .choice(["pdf", "ubl", "both"])),
        ] + collectionsSettings),
    ]

    /// An e-invoicing address `{scheme, id}` (EAS code, e.g. `0088` or `EM`).
    static let electronicAddress = ParamType.object([
        .required("scheme", .text(min: 2, max: 4)),
        .required("id", .text(min: 1, max: 200)),
    ])
    /// The seller's bank account (its IBAN checksum is checked in SQL).
    static let paymentAccount = ParamType.object([
        .required("iban", .text(min: 15, max: 42)),
        .optional("bic", .text(min: 8, max: 11), nullable: true),
        .optional("name", .text(max: 200), nullable: true),
    ])
    static let unit = ParamType.text(min: 1, max: 3)
    static let vatCategory = ParamType.choice(["S", "Z", "E", "AE", "K", "G", "O", "L", "M"])
    /// A phone number: the one limit of tenants, customers and CSV imports (the SQL
    /// checks of imported rows use the same number).
    public static let phoneLength = 64
    static let phone = ParamType.line(max: phoneLength)

    static let customerFields: [Field] = [
        .optional("email", .text(max: 254), nullable: true),
        .optional("phone", phone, nullable: true),
        .optional("billing_address", address, nullable: true),
        .optional("shipping_address", address, nullable: true),
        .optional("payment_terms_days", terms, nullable: true),
        .optional("tax_id", .text(max: 64), nullable: true),
        .optional("notes", .text(max: 4000), nullable: true),
        .optional("electronic_address", electronicAddress, nullable: true),
    ]

    static let customers: [MethodSpec] = [
        method("customer.create", .tenant(.clerk), mutating: true, [.required("name", .text(max: 200))] + customerFields),
        method("customer.get", .tenant(.viewer), [.required("id", .id)]),
        method("customer.list", .tenant(.viewer), paging + [
            .optional("search", .text(max: 200)),
            .optional("include_archived", .boolean),
        ]),
        method("customer.update", .tenant(.clerk), mutating: true,
               [.required("id", .id), .optional("name", .text(max: 200))] + customerFields),
        method("customer.archive", .tenant(.clerk), mutating: true, [.required("id", .id)]),
    ]

    static let items: [MethodSpec] = [
        method("item.create", .tenant(.clerk), mutating: true, [
            .required("sku", .text(max: 64)),
            .required("name", .text(max: 200)),
            .required("unit_price", unitPrice),
            .optional("description", .text(max: 4000), nullable: true),
            .optional("tax_rate", taxCode, nullable: true),
            .optional("stock_qty", .decimal(scale: 3, integerDigits: 12, allowNegative: true), nullable: true),
            .optional("unit", unit),
        ]),
        method("item.get", .tenant(.viewer), [.optional("id", .id), .optional("sku", .text(max: 64))]),
        method("item.list", .tenant(.viewer), paging + [
            .optional("search", .text(max: 200)),
            .optional("include_archived", .boolean),
        ]),
        method("item.update", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .optional("sku", .text(max: 64)),
            .optional("name", .text(max: 200)),
            .optional("unit_price", unitPrice),
            .optional("description", .text(max: 4000), nullable: true),
            .optional("tax_rate", taxCode, nullable: true),
            .optional("stock_qty", .decimal(scale: 3, integerDigits: 12, allowNegative: true), nullable: true),
            .optional("unit", unit),
        ]),
        method("item.archive", .tenant(.clerk), mutating: true, [.required("id", .id)]),
    ]

    static let taxRates: [MethodSpec] = [
        method("tax_rate.create", .tenant(.clerk), mutating: true, [
            .required("code", taxCode),
            .required("name", .text(max: 200)),
            .required("percent", percent),
            .optional("category", vatCategory),
            .optional("exemption_reason", .text(max: 500), nullable: true),
        ]),
        method("tax_rate.get", .tenant(.viewer), [.required("code", taxCode)]),
        method("tax_rate.list", .tenant(.viewer), paging),
        method("tax_rate.update", .tenant(.clerk), mutating: true, [
            .required("code", taxCode),
            .optional("name", .text(max: 200)),
            .optional("percent", percent),
            .optional("category", vatCategory),
            .optional("exemption_reason", .text(max: 500), nullable: true),
        ]),
        method("tax_rate.archive", .tenant(.clerk), mutating: true, [.required("code", taxCode)]),
    ]

    static let invoiceLine = ParamType.object([
        .optional("description", .text(max: 2000)),
        .required("qty", quantity),
        .optional("unit_price", unitPrice),
        .optional("item_id", .id),
        .optional("tax_rate", taxCode, nullable: true),
    ] + lineTerms)

    /// A line's unit and discount (contract v1.1): percent of the rounded gross amount, or an amount.
    static let lineTerms: [Field] = [
        .optional("unit", unit),
        .optional("discount_percent", percent, nullable: true),
        .optional("discount_amount", money, nullable: true),
        .optional("discount_reason", .text(max: 1000), nullable: true),
    ]

    /// A document-level allowance or charge: `amount` or `percent` (of the lines with its tax rate).
    static let adjustment = ParamType.object([
        .optional("amount", money),
        .optional("percent", percent),
        .required("reason", .text(min: 1, max: 1000)),
        .optional("tax_rate", taxCode, nullable: true),
    ])

    static let invoiceFields: [Field] = [
        .optional("currency", currency),
        .optional("notes", .text(max: 4000), nullable: true),
        .optional("payment_terms_days", terms, nullable: true),
        .optional("po_number", .text(max: 100), nullable: true),
        .optional("delivery_date", .date, nullable: true),
        .optional("period_start", .date, nullable: true),
        .optional("period_end", .date, nullable: true),
        .optional("allowances", .array(of: adjustment, min: 0, max: 100)),
        .optional("charges", .array(of: adjustment, min: 0, max: 100)),
    ]

    static let invoiceRef: [Field] = [.optional("id", .id), .optional("number", .text(max: 64))]

    static let invoices: [MethodSpec] = [
        method("invoice.create", .tenant(.clerk), mutating: true, [
            .required("customer_id", .id),
            .required("lines", .array(of: invoiceLine, min: 1, max: 1000)),
            .optional("issue", .boolean),
            .optional("issue_date", .date),
        ] + invoiceFields),
        method("invoice.update", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .optional("customer_id", .id),
            .optional("lines", .array(of: invoiceLine, min: 1, max: 1000)),
        ] + invoiceFields),
        method("invoice.delete", .tenant(.clerk), mutating: true, [.required("id", .id)]),
        method("invoice.issue", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .optional("issue_date", .date),
        ]),
        method("invoice.get", .tenant(.viewer), invoiceRef),
        method("invoice.list", .tenant(.viewer), paging + [
            .optional("status", .choice(["draft", "issued", "sent", "partially_paid", "paid", "void"])),
            .optional("customer_id", .id),
            .optional("overdue_as_of", .date),
            .optional("issued_from", .date),
            .optional("issued_to", .date),
        ]),
        method("invoice.void", .tenant(.clerk), mutating: true, invoiceRef + [.required("reason", .text(max: 2000))]),
    ]

    static let creditNoteLine = ParamType.object([
        .required("description", .text(max: 2000)),
        .required("qty", quantity),
        .required("unit_price", unitPrice),
        .optional("tax_rate", taxCode, nullable: true),
    ] + lineTerms)

    static let creditNotes: [MethodSpec] = [
        method("credit_note.create", .tenant(.clerk), mutating: true, [
            .optional("invoice_id", .id),
            .optional("invoice_number", .text(max: 64)),
            .required("reason", .text(max: 2000)),
            .optional("lines", .array(of: creditNoteLine, min: 1, max: 1000)),
            .optional("amount", money),
            .optional("issue_date", .date),
        ]),
        method("credit_note.get", .tenant(.viewer), invoiceRef),
        method("credit_note.list", .tenant(.viewer), paging + [
            .optional("invoice_id", .id),
            .optional("customer_id", .id),
        ]),
    ]

    static let allocation = ParamType.object([
        .optional("invoice_id", .id),
        .optional("number", .text(max: 64)),
        .required("amount", money),
    ])

    static let payments: [MethodSpec] = [
        method("payment.record", .tenant(.clerk), mutating: true, [
            .required("customer_id", .id),
            .required("amount", money),
            .required("received_on", .date),
            .required("method", .choice(["bank_transfer", "card", "cash", "cheque", "other"])),
            .optional("reference", .text(max: 500)),
            .optional("payer", .text(max: 200)),
            .optional("currency", currency),
            // An empty list leaves the whole amount as customer credit; absent means automatic allocation.
            .optional("allocations", .array(of: allocation, min: 0, max: 1000)),
        ]),
        method("payment.get", .tenant(.viewer), [.required("id", .id)]),
        method("payment.list", .tenant(.viewer), paging + [
            .optional("customer_id", .id),
            .optional("received_from", .date),
            .optional("received_to", .date),
        ]),
        method("payment.allocate", .tenant(.clerk), mutating: true, [
            .required("payment_id", .id),
            .required("allocations", .array(of: allocation, min: 1, max: 1000)),
        ]),
        method("payment.refund", .tenant(.clerk), mutating: true, [
            .required("payment_id", .id),
            .optional("amount", money),
            .required("reason", .text(max: 2000)),
            .optional("refunded_on", .date),
        ]),
        method("discrepancy.list", .tenant(.viewer), paging + [
            .optional("status", .choice(["open", "resolved"])),
            .optional("customer_id", .id),
            .optional("payment_id", .id),
            .optional("kind", .choice(["overpayment", "underpayment", "reference_mismatch", "other_customer", "void_invoice"])),
        ]),
        method("discrepancy.get", .tenant(.viewer), [.required("id", .id)]),
        method("discrepancy.resolve", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .required("note", .text(max: 2000)),
        ]),
    ]

    static let reconciliation: [MethodSpec] = [
        method("reconcile.import", .tenant(.clerk), mutating: true, [
            .required("csv", .text(max: 10_000_000)),
            .optional("columns", .object([
                .optional("date", .text(max: 100)),
                .optional("amount", .text(max: 100)),
                .optional("reference", .text(max: 100)),
                .optional("payer", .text(max: 100)),
            ])),
            .optional("date_format", .choice(["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY"])),
            .optional("currency", currency),
        ]),
        method("reconcile.get", .tenant(.viewer), [.required("statement_id", .id)]),
        method("reconcile.confirm", .tenant(.clerk), mutating: true, [
            .required("statement_id", .id),
            .optional("line_ids", .array(of: .id, min: 1, max: 100_000)),
        ]),
    ]

    static let disputes: [MethodSpec] = [
        method("invoice.dispute", .tenant(.clerk), mutating: true, invoiceRef + [.required("reason", .text(max: 2000))]),
        method("invoice.resolve_dispute", .tenant(.clerk), mutating: true, invoiceRef + [
            .required("resolution", .choice(["credited", "confirmed"])),
            .optional("note", .text(max: 2000)),
            .optional("credit_note_id", .id),
        ]),
        method("invoice.note", .tenant(.clerk), mutating: true, invoiceRef + [.required("text", .text(max: 4000))]),
    ]

    /// Formats of printable documents (orders, delivery notes).
    static let printFormat = ParamType.choice(["pdf", "html", "text"])
    /// Formats of invoices and credit notes: printable, or EN 16931 UBL / CII.
    static let documentFormat = ParamType.choice(["pdf", "html", "text", "ubl", "cii"])

    static let documents: [MethodSpec] = [
        document("invoice.render", .invoice, invoiceRef + [.required("format", documentFormat)]),
        document("credit_note.render", .creditNote, invoiceRef + [.required("format", documentFormat)]),
        document("invoice.print_batch", .invoiceBatch, [.required("ids", .array(of: .id, min: 1, max: 500))]),
        method("branding.get", .tenant(.viewer)),
        method("branding.update", .tenant(.owner), mutating: true, [
            .optional("logo_png_base64", .text(max: 1_500_000), nullable: true),
            .optional("accent_color", .text(max: 7), nullable: true),
            .optional("footer", .text(max: 1000), nullable: true),
            .optional("html_template", .template(max: 200_000), nullable: true),
        ]),
        method("invoice.send", .tenant(.clerk), mutating: true, invoiceRef + [
            .optional("to", .text(max: 254)),
            .optional("kind", .choice(["invoice", "reminder"])),
        ]),
        method("invoice.mark_sent", .tenant(.clerk), mutating: true, [.required("ids", .array(of: .id, min: 1, max: 500))]),
        method("dispatch.list", .tenant(.viewer), paging + [
            .optional("invoice_id", .id),
            .optional("status", .choice(["queued", "sent", "failed"])),
        ]),
    ]

    static let period: [Field] = [.required("from", .date), .required("to", .date)]

    static let reports: [MethodSpec] = [
        method("report.aging", .tenant(.viewer), [.optional("as_of", .date)]),
        method("report.outstanding", .tenant(.viewer), [.optional("customer_id", .id), .optional("as_of", .date)]),
        method("report.statement", .tenant(.viewer), [.required("customer_id", .id)] + period + [.optional("currency", currency)]),
        document("report.statement_pdf", .statement, [.required("customer_id", .id)] + period + [.optional("currency", currency)]),
        method("report.sales", .tenant(.viewer), period + [.required("group_by", .choice(["day", "month", "customer", "item"]))]),
        method("report.tax", .tenant(.viewer), period),
        method("report.dso", .tenant(.viewer), [.optional("as_of", .date), .optional("days", .integer(min: 1, max: 3650))]),
    ]

    static let audit: [MethodSpec] = [
        // Verification writes only its own bookkeeping (marks and jobs), so viewers may run it.
        method("audit.verify", .tenant(.viewer), [.optional("full", .boolean)]),
        method("audit.verify_start", .tenant(.viewer)),
        method("audit.verify_step", .tenant(.viewer), [.required("id", .id)]),
        method("audit.verify_status", .tenant(.viewer), [.required("id", .id)]),
        method("audit.log", .tenant(.viewer), paging + [
            .optional("entity", .text(max: 64)),
            .optional("entity_id", .id),
            .optional("from", .date),
            .optional("to", .date),
        ]),
    ]

    static let transfers: [MethodSpec] = [
        method("import.customers", .tenant(.clerk), mutating: true, [
            .required("csv", .text(max: 10_000_000)),
            .optional("columns", .object(["name", "email", "phone", "tax_id", "payment_terms_days", "notes",
                                          "billing_line1", "billing_line2", "billing_city", "billing_region",
                                          "billing_postal_code", "billing_country"].map { .optional($0, .text(max: 100)) })),
        ]),
        method("import.items", .tenant(.clerk), mutating: true, [
            .required("csv", .text(max: 10_000_000)),
            .optional("columns", .object(["sku", "name", "unit_price", "description", "tax_rate", "stock_qty"]
                .map { .optional($0, .text(max: 100)) })),
        ]),
        // Rendering: CSV and JSON come from SQL; "ubl" documents are built by the server, a page at a time.
        document("export.invoices", .invoiceExport, period + [.optional("format", .choice(["csv", "json", "ubl"]))] + paging),
        method("export.payments", .tenant(.viewer), period + [.optional("format", .choice(["csv", "json"]))]),
        method("export.customers", .tenant(.viewer), [
            .optional("format", .choice(["csv", "json"])),
            .optional("include_archived", .boolean),
        ]),
    ]
}

extension String {
    /// `invoice.create` -> `invoice_create`: the SQL function of a method.
    func replacingDots() -> String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
