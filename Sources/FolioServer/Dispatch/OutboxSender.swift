import FolioPostgres
import FolioRender
import FolioWire
import Logging
import NIOCore

/// Delivers the e-mail outbox: every `interval`, for each tenant (under the tenant's role,
/// like a request) it claims the due queued rows (`outbox_claim`, FOR UPDATE SKIP LOCKED
/// and a lease, so concurrent senders never take the same row), renders each invoice as
/// PDF, builds the MIME message and hands it to the mailer; then records the attempt:
/// `outbox_done` (the invoice becomes sent) or `outbox_failed` (retried with exponential
/// backoff from `backoffBase`). All of it runs on a pool worker thread.
struct OutboxSender: Sendable {
    let pool: PostgresPool
    let logger: Logger
    let mailer: Mailer
    /// From address when the tenant has no e-mail of its own.
    var defaultFrom: String = "folio@folio.local"
    /// First retry delay; doubles per failed attempt (capped at 6 hours by the SQL).
    var backoffBase: TimeAmount = .minutes(1)
    /// Rows claimed per tenant per pass.
    var batchSize: Int = 20
    /// How long a claimed row is left alone by other senders while it is being delivered.
    var lease: TimeAmount = .minutes(10)

    /// Runs every `interval` (after one interval) until the event loop shuts down.
    func schedule(on eventLoop: EventLoop, every interval: TimeAmount) {
        eventLoop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            runOnce(on: eventLoop).map { _ in () }.recover { error in
                logger.warning("outbox sender failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass over every tenant, one tenant after the other, each on its home pooled
    /// connection (like a request, so the pool's per-connection tenant bounds hold);
    /// returns how many messages the mailer accepted.
    @discardableResult
    func runOnce(on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        pool.run(on: eventLoop) { db in
            try db.query(PostgresStatement("SELECT slug FROM folio.tenants ORDER BY id")).rows.compactMap { $0[0] }
        }.flatMap { tenants in
            tenants.reduce(eventLoop.makeSucceededFuture(0)) { sentSoFar, tenant in
                sentSoFar.flatMap { sent in
                    pool.run(on: eventLoop, tenant: tenant) { db in
                        do {
                            return sent + (try deliver(db, tenant: tenant))
                        } catch {
                            logger.warning("outbox: tenant pass failed", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                            return sent
                        }
                    }
                }
            }
        }
    }

    private func enter(_ tenant: String) -> PostgresStatement {
        PostgresStatement("SELECT folio.enter(0, $1, 'owner', true, 'dispatch.sender')", [tenant])
    }

    private static func interval(_ amount: TimeAmount) -> String {
        "\(max(amount.nanoseconds / 1_000_000, 0)) milliseconds"
    }

    private func deliver(_ db: PostgresConnection, tenant: String) throws -> Int {
        let claimed = try db.pipeline([
            enter(tenant),
            // Reminders whose invoice was paid, voided or disputed meanwhile are cancelled, not sent.
            PostgresStatement("SELECT reminder_recheck_outbox()", prepareAs: "folio_reminder_recheck_outbox"),
            PostgresStatement("SELECT outbox_claim($1::int, $2::interval)::text",
                              [String(batchSize), Self.interval(lease)], prepareAs: "folio_outbox_claim"),
            PostgresStatement("SELECT branding_for_render()::text", prepareAs: "folio_branding_for_render"),
        ])
        let rows = try JSONParser.parse(claimed[2].scalar ?? "[]").arrayValue ?? []
        let branding = Branding(json: try JSONParser.parse(claimed[3].scalar ?? "null"))
        var sent = 0
        for row in rows {
            guard let id = row["id"]?.int64Value else { continue }
            let outcome: Result<String, Error>
            do {
                let message = try buildMessage(row, branding: branding)
                try mailer.send(message.render())
                outcome = .success(message.messageID)
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let messageID):
                _ = try db.pipeline([
                    enter(tenant),
                    PostgresStatement("SELECT outbox_done($1::bigint, $2)::text", [String(id), "<\(messageID)>"],
                                      prepareAs: "folio_outbox_done"),
                ])
                sent += 1
                logger.info("outbox: message accepted by the mailer", metadata: [
                    "tenant": "\(tenant)", "outbox_id": "\(id)", "message_id": "\(messageID)"])
            case .failure(let error):
                _ = try db.pipeline([
                    enter(tenant),
                    PostgresStatement("SELECT outbox_failed($1::bigint, $2, $3::interval)::text",
                                      [String(id), "\(error)", Self.interval(backoffBase)], prepareAs: "folio_outbox_failed"),
                ])
                logger.notice("outbox: delivery failed, will retry", metadata: [
                    "tenant": "\(tenant)", "outbox_id": "\(id)", "error": "\(error)"])
            }
        }
        return sent
    }

    /// The MIME message for one claimed row: a short cover note (text and HTML) and the
    /// invoice as `<number>.pdf`, or for a reminder its letter as `reminder-<number>.pdf`.
    func buildMessage(_ row: JSON, branding: Branding) throws -> MailMessage {
        let invoice = row["invoice"] ?? .null
        let tenant = row["tenant"] ?? .null
        let customer = row["customer"]
        let letter: JSON? = if case .object? = row["reminder"] { row["reminder"] } else { nil }
        let document = InvoiceDocument(invoice: invoice, tenant: tenant, customer: customer)
        let pdf = try letter.map { try DocumentRenderer.reminderLettersPDF([$0], branding: branding) }
            ?? DocumentRenderer.render(document, as: .pdf, branding: branding).bytes

        let number = invoice["number"]?.stringValue ?? "invoice"
        let tenantName = tenant["legal_name"]?.stringValue ?? tenant["name"]?.stringValue ?? "Folio"
        let fromAddress = tenant["email"]?.stringValue ?? defaultFrom
        let domain = fromAddress.split(separator: "@").last.map(String.init) ?? "folio.local"
        let recipient = row["recipient"]?.stringValue ?? ""
        let subject = row["subject"]?.stringValue ?? "Invoice \(number) from \(tenantName)"
        let isReminder = row["kind"]?.stringValue == "reminder"
        let currency = invoice["currency"]?.stringValue ?? ""
        let greetingName = customer?["name"]?.stringValue ?? invoice["customer_name"]?.stringValue

        var facts: [(String, String)] = [("Invoice", number)]
        if let date = invoice["issue_date"]?.stringValue { facts.append(("Issue date", date)) }
        if let date = invoice["due_date"]?.stringValue { facts.append(("Due date", date)) }
        if let total = invoice["total"]?.stringValue { facts.append(("Total", "\(total) \(currency)")) }
        if let balance = invoice["balance_due"]?.stringValue { facts.append(("Balance due", "\(balance) \(currency)")) }
        if let letter, case .number(let days)? = letter["days_overdue"] { facts.append(("Days overdue", days)) }
        if let letter, let due = letter["total_due"]?.stringValue { facts.append(("Total due with charges", "\(due) \(currency)")) }
        if let terms = document.paymentTermsText { facts.append(("Payment terms", terms)) }

        let attachment = letter == nil ? "\(number).pdf" : "reminder-\(number).pdf"
        let opening = letter?["message"]?.stringValue ?? (isReminder
            ? "This is a friendly reminder that invoice \(number) is still open."
            : "Please find attached invoice \(number).")
        let attached = letter == nil ? "The invoice is attached as \(attachment)." : "The reminder letter is attached as \(attachment)."
        var text = "Dear \(greetingName ?? "customer"),\n\n\(opening)\n\n"
        for (label, value) in facts { text += "\(label): \(value)\n" }
        text += "\n\(attached)\n\nKind regards,\n\(tenantName)\n"

        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(MailMessage.escapeHTML(subject))</title></head>\n<body>\n"
        html += "<p>Dear \(MailMessage.escapeHTML(greetingName ?? "customer")),</p>\n<p>\(MailMessage.escapeHTML(opening))</p>\n<table>\n"
        for (label, value) in facts {
            html += "<tr><th align=\"left\">\(MailMessage.escapeHTML(label))</th><td>\(MailMessage.escapeHTML(value))</td></tr>\n"
        }
        html += "</table>\n<p>\(MailMessage.escapeHTML(attached))</p>\n"
        html += "<p>Kind regards,<br>\n\(MailMessage.escapeHTML(tenantName))</p>\n</body></html>\n"

        return MailMessage(
            from: .init(fromAddress, name: tenantName),
            to: [.init(recipient, name: nil)],
            subject: subject, text: text, html: html,
            attachments: [.init(filename: attachment, contentType: "application/pdf", bytes: pdf)],
            messageID: MailMessage.newMessageID(domain: domain))
    }
}
