import FolioEInvoice
import FolioMail
import FolioPostgres
import FolioRender
import FolioWire
import Foundation
import Logging
import NIOCore

/// Delivers the e-mail outbox: every `interval`, for each tenant with mail to send
/// (`OutboxWatch`; under the tenant's role, like a request) it claims the due queued rows (`outbox_claim`, FOR UPDATE SKIP LOCKED
/// and a lease, so concurrent senders never take the same row), renders each invoice as
/// PDF, builds the MIME message and hands it to the mailer; then records the attempt:
/// `outbox_done` (the invoice becomes sent) or `outbox_failed` (retried with exponential
/// backoff from `backoffBase`). All of it runs on a pool worker thread.
struct OutboxSender: Sendable {
    let pool: PostgresPool
    let logger: Logger
    let mailer: Mailer
    /// Which tenants a pass visits.
    let watch: OutboxWatch
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

    /// One pass over the tenants `watch` names, one tenant after the other, each on its
    /// home pooled connection (like a request, so the pool's per-connection tenant bounds
    /// hold); returns how many messages the mailer accepted.
    @discardableResult
    func runOnce(on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        pool.run(on: eventLoop) { db -> [String] in
            let (tenants, sweep) = try watch.tenantsToVisit(db)
            if sweep { logger.debug("outbox: visiting every tenant", metadata: ["tenants": "\(tenants.count)"]) }
            return tenants
        }.flatMap { (tenants: [String]) -> EventLoopFuture<Int> in
            pool.visitInTurn(tenants, on: eventLoop) { db, tenant in
                do {
                    return try deliver(db, tenant: tenant)
                } catch {
                    logger.warning("outbox: tenant pass failed", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                    return 0
                }
            }
        }
    }

    private static func interval(_ amount: TimeAmount) -> String {
        "\(max(amount.nanoseconds / 1_000_000, 0)) milliseconds"
    }

    private func deliver(_ db: PostgresConnection, tenant: String) throws -> Int {
        logger.debug("outbox: visiting tenant", metadata: ["tenant": "\(tenant)"])
        let enter = TenantEntry.job("dispatch.sender", tenant: tenant).statement(on: db)
        let claimed = try db.pipeline([
            enter,
            // Reminders whose invoice was paid, voided or disputed meanwhile are cancelled, not sent.
            PostgresStatement("SELECT reminder_recheck_outbox()", prepareAs: "folio_reminder_recheck_outbox"),
            PostgresStatement("SELECT outbox_claim($1::int, $2::interval)::text",
                              [String(batchSize), Self.interval(lease)], prepareAs: "folio_outbox_claim"),
            PostgresStatement("SELECT branding_for_render()::text", prepareAs: "folio_branding_for_render"),
        ])
        let rows = try JSONParser.parse(claimed[2].scalar ?? "[]").arrayValue ?? []
        var sent = 0
        defer {
            // When to come back unasked: the earliest retry or lease left after this visit
            // (the next pass, if that cannot be read).
            do {
                let next = try db.pipeline([enter, PostgresStatement("SELECT outbox_next_due()::text",
                                                                     prepareAs: "folio_outbox_next_due")])[1].scalar
                watch.visited(tenant, nextDue: next.flatMap(Double.init).map(Date.init(timeIntervalSince1970:)))
            } catch {
                watch.visited(tenant, nextDue: Date())
            }
        }
        if rows.isEmpty { return 0 }
        let branding = Branding(json: try JSONParser.parse(claimed[3].scalar ?? "null"))
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
                    enter,
                    PostgresStatement("SELECT outbox_done($1::bigint, $2)::text", [String(id), "<\(messageID)>"],
                                      prepareAs: "folio_outbox_done"),
                ])
                sent += 1
                logger.info("outbox: message accepted by the mailer", metadata: [
                    "tenant": "\(tenant)", "outbox_id": "\(id)", "message_id": "\(messageID)"])
            case .failure(let error):
                _ = try db.pipeline([
                    enter,
                    PostgresStatement("SELECT outbox_failed($1::bigint, $2, $3::interval)::text",
                                      [String(id), "\(error)", Self.interval(backoffBase)], prepareAs: "folio_outbox_failed"),
                ])
                logger.notice("outbox: delivery failed, will retry", metadata: [
                    "tenant": "\(tenant)", "outbox_id": "\(id)", "error": "\(error)"])
            }
        }
        return sent
    }

    /// The MIME message for one claimed row: the cover letter (text and HTML) and, for a
    /// reminder, its letter as `reminder-<number>.pdf`; for an invoice the invoice as
    /// `<number>.pdf`, `<number>.xml` (EN 16931 UBL) or both, as the tenant's
    /// `einvoice_attachment` setting says. An invoice that cannot be made a valid e-invoice
    /// goes out as PDF, and the letter says why.
    func buildMessage(_ row: JSON, branding: Branding) throws -> MailMessage {
        let invoice = row["invoice"] ?? .null
        let tenant = row["tenant"] ?? .null
        let customer = row["customer"]
        let number = invoice["number"]?.stringValue ?? "invoice"
        let reminderLetter: JSON? = if case .object? = row["reminder"] { row["reminder"] } else { nil }
        var attachments: [MailMessage.Attachment] = []
        var problem: String?
        if let reminderLetter {
            let pdf = try DocumentRenderer.reminderLettersPDF([reminderLetter], branding: branding)
            attachments.append(.init(filename: "reminder-\(number).pdf", contentType: "application/pdf", bytes: pdf))
        } else {
            let wanted = tenant["einvoice_attachment"]?.stringValue ?? "pdf"
            if wanted != "pdf" {
                do {
                    let xml = try EInvoiceFormat.ubl.render(document: invoice, tenant: tenant, customer: customer ?? .null,
                                                            extras: row["einvoice_extras"] ?? .null)
                    attachments.append(.init(filename: "\(number).xml", contentType: "application/xml", bytes: xml))
                } catch let error as EInvoiceError {
                    problem = "No e-invoice could be made: \(error.message)"
                }
            }
            if wanted != "ubl" || attachments.isEmpty {
                let document = InvoiceDocument(invoice: invoice, tenant: tenant, customer: customer)
                let pdf = try DocumentRenderer.render(document, as: .pdf, branding: branding).bytes
                attachments.insert(.init(filename: "\(number).pdf", contentType: "application/pdf", bytes: pdf), at: 0)
            }
        }
        let attachedAs = attachments.map { $0.filename.hasSuffix(".xml") ? "the e-invoice \($0.filename) (UBL)" : $0.filename }
            .joined(separator: " and ")
        let letter = try CoverLetter(invoice: invoice, tenant: tenant, customer: customer,
                                     reminder: row["kind"]?.stringValue == "reminder", reminderLetter: reminderLetter,
                                     subject: row["subject"]?.stringValue, attachedAs: attachedAs, remark: problem)
        let fromAddress = tenant["email"]?.stringValue ?? defaultFrom
        let domain = fromAddress.split(separator: "@").last.map(String.init) ?? "folio.local"
        return MailMessage(
            from: .init(fromAddress, name: letter.seller),
            to: [.init(row["recipient"]?.stringValue ?? "", name: nil)],
            subject: letter.subject, text: letter.text, html: letter.html,
            attachments: attachments,
            messageID: MailMessage.newMessageID(domain: domain))
    }
}
