/// Contract v1.1 "Collections": payment terms text, reminders, recurring invoices and
/// the daily scheduler's runs.
extension MethodCatalog {
    /// The collections settings `tenant.update` takes.
    static let collectionsSettings: [Field] = [
        .optional("payment_terms_text", .text(max: 500), nullable: true),
        .optional("reminder_grace_days", .integer(min: 0, max: 60)),
        .optional("reminder_levels", .array(of: .object([
            .required("level", .integer(min: 1, max: 5)),
            .required("days_past_due", .integer(min: 0, max: 3650)),
            .optional("fee", money, nullable: true),
            .optional("message", .text(max: 2000), nullable: true),
        ]), min: 0, max: 5)),
        .optional("late_interest_percent", percent, nullable: true),
    ]

    static let recurringFields: [Field] = [
        .optional("every", .integer(min: 1, max: 1000)),
        .optional("day_of_month", .oneOf([.integer(min: 1, max: 31), .choice(["last"])]), nullable: true),
        .optional("end_date", .date, nullable: true),
        .optional("count", .integer(min: 1, max: 100_000), nullable: true),
        .optional("auto_issue", .boolean),
        .optional("auto_send", .boolean),
        .optional("payment_terms_days", terms, nullable: true),
        .optional("notes", .text(max: 4000), nullable: true),
        .optional("po_number", .text(max: 100), nullable: true),
        .optional("currency", currency, nullable: true),
    ]

    static let recurringInterval = ParamType.choice(["weekly", "monthly", "quarterly", "yearly"])

    static let collections: [MethodSpec] = [
        method("reminder.run", .tenant(.clerk), mutating: true, [.optional("as_of", .date)]),
        method("reminder.list", .tenant(.viewer), paging + [
            .optional("invoice_id", .id),
            .optional("customer_id", .id),
            .optional("status", .choice(["queued", "sent", "to_print", "cancelled", "failed"])),
        ]),
        document("reminder.print_batch", .reminderLetters, [.optional("ids", .array(of: .id, min: 1, max: 500))]),
        method("reminder.mark_sent", .tenant(.clerk), mutating: true, [.required("ids", .array(of: .id, min: 1, max: 500))]),
        method("recurring.create", .tenant(.clerk), mutating: true, [
            .required("customer_id", .id),
            .required("lines", .array(of: invoiceLine, min: 1, max: 1000)),
            .required("interval", recurringInterval),
            .required("start_date", .date),
        ] + recurringFields),
        method("recurring.get", .tenant(.viewer), [.required("id", .id)]),
        method("recurring.list", .tenant(.viewer), paging + [
            .optional("status", .choice(["active", "paused", "completed", "cancelled"])),
            .optional("customer_id", .id),
        ]),
        method("recurring.update", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .optional("customer_id", .id),
            .optional("lines", .array(of: invoiceLine, min: 1, max: 1000)),
            .optional("interval", recurringInterval),
            .optional("start_date", .date),
        ] + recurringFields),
        method("recurring.pause", .tenant(.clerk), mutating: true, [.required("id", .id)]),
        method("recurring.resume", .tenant(.clerk), mutating: true, [.required("id", .id), .optional("skip_missed", .boolean)]),
        method("recurring.cancel", .tenant(.clerk), mutating: true, [.required("id", .id)]),
        method("recurring.run", .tenant(.clerk), mutating: true, [.optional("as_of", .date)]),
        method("scheduler.list", .tenant(.viewer), paging + [.optional("job", .choice(["recurring.run", "reminder.run"]))]),
    ]
}
