/// Every RPC method of Folio, in one table: its access rule, parameters and implementation.
public enum MethodCatalog {
    public static let all: [MethodSpec] = system + tenants + customers + items + taxRates + invoices + creditNotes + audit

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

    static func native(_ name: String, _ access: Access, mutating: Bool = false, _ fields: [Field] = []) -> MethodSpec {
        MethodSpec(name: name, access: access, mutating: mutating, fields: fields, implementation: .native)
    }

    // MARK: - Methods

    static let system: [MethodSpec] = [
        native("system.ping", .anyone),
        native("system.whoami", .anyone),
    ]

    static let tenants: [MethodSpec] = [
        native("tenant.create", .admin, mutating: true, [
            .required("tenant", .slug),
            .required("name", .text(max: 200)),
            .required("currency", currency),
        ]),
        native("tenant.list", .anyone),
        native("tenant.grant", .tenant(.owner), mutating: true, [
            .required("uid", .uid),
            .required("role", .choice(Role.allCases.map(\.rawValue))),
        ]),
        native("tenant.revoke", .tenant(.owner), mutating: true, [.required("uid", .uid)]),
        native("tenant.members", .tenant(.owner)),
        method("tenant.get", .tenant(.viewer)),
        method("tenant.update", .tenant(.owner), mutating: true, [
            .optional("tax_rounding", .choice(["line", "document"])),
            .optional("payment_terms_days", terms),
            .optional("invoice_number_format", .text(max: 64)),
            .optional("credit_note_number_format", .text(max: 64)),
            .optional("legal_name", .text(max: 200), nullable: true),
            .optional("address", address, nullable: true),
            .optional("tax_id", .text(max: 64), nullable: true),
            .optional("email", .text(max: 254), nullable: true),
            .optional("phone", .text(max: 64), nullable: true),
            .optional("timezone", .text(max: 64)),
        ]),
    ]

    static let customerFields: [Field] = [
        .optional("email", .text(max: 254), nullable: true),
        .optional("phone", .text(max: 64), nullable: true),
        .optional("billing_address", address, nullable: true),
        .optional("shipping_address", address, nullable: true),
        .optional("payment_terms_days", terms, nullable: true),
        .optional("tax_id", .text(max: 64), nullable: true),
        .optional("notes", .text(max: 4000), nullable: true),
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
        ]),
        method("item.archive", .tenant(.clerk), mutating: true, [.required("id", .id)]),
    ]

    static let taxRates: [MethodSpec] = [
        method("tax_rate.create", .tenant(.clerk), mutating: true, [
            .required("code", taxCode),
            .required("name", .text(max: 200)),
            .required("percent", percent),
        ]),
        method("tax_rate.get", .tenant(.viewer), [.required("code", taxCode)]),
        method("tax_rate.list", .tenant(.viewer), paging),
        method("tax_rate.update", .tenant(.clerk), mutating: true, [
            .required("code", taxCode),
            .optional("name", .text(max: 200)),
            .optional("percent", percent),
        ]),
    ]

    static let invoiceLine = ParamType.object([
        .optional("description", .text(max: 2000)),
        .required("qty", quantity),
        .optional("unit_price", unitPrice),
        .optional("item_id", .id),
        .optional("tax_rate", taxCode, nullable: true),
    ])

    static let invoiceFields: [Field] = [
        .optional("currency", currency),
        .optional("notes", .text(max: 4000), nullable: true),
        .optional("payment_terms_days", terms, nullable: true),
        .optional("po_number", .text(max: 100), nullable: true),
    ]

    static let invoiceRef: [Field] = [.optional("id", .id), .optional("number", .text(max: 64))]

    static let invoices: [MethodSpec] = [
        method("invoice.create", .tenant(.clerk), mutating: true, [
            .required("customer_id", .id),
            .required("lines", .array(of: invoiceLine, min: 1, max: 1000)),
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
        method("invoice.void", .tenant(.clerk), mutating: true, invoiceRef + [.required("reason", .text(max: 1000))]),
    ]

    static let creditNoteLine = ParamType.object([
        .required("description", .text(max: 2000)),
        .required("qty", quantity),
        .required("unit_price", unitPrice),
        .optional("tax_rate", taxCode, nullable: true),
    ])

    static let creditNotes: [MethodSpec] = [
        method("credit_note.create", .tenant(.clerk), mutating: true, [
            .optional("invoice_id", .id),
            .optional("invoice_number", .text(max: 64)),
            .required("reason", .text(max: 1000)),
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

    static let audit: [MethodSpec] = [
        method("audit.verify", .tenant(.viewer)),
    ]
}

extension String {
    /// `invoice.create` -> `invoice_create`: the SQL function of a method.
    func replacingDots() -> String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
