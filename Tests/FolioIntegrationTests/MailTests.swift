import FolioClient
import FolioTestSupport
import FolioWire
import Foundation
import Testing

/// invoice.send through a real mailer: msmtp as the sendmail command, relaying to a real
/// SMTP server on loopback (aiosmtpd). The server gets a database of its own so no other
/// foliod's outbox sender sees these messages.
@Suite(.timeLimit(.minutes(5))) struct MailTests {
    /// A server on a database of its own that mails through msmtp to an SMTP sink on
    /// loopback (the cluster is kept here so that it lives as long as the server).
    private struct MailingServer {
        let cluster: PrivateCluster
        let smtp: SMTPSink
        let server: ServerProcess
    }

    private func mailingServer(_ arguments: [String]) throws -> MailingServer {
        let msmtp = "/usr/bin/msmtp"
        try #require(FileManager.default.isExecutableFile(atPath: msmtp), "msmtp is not installed (apt-get install -y msmtp)")
        let smtp = try SMTPSink()
        let path = TestEnvironment.scratchDirectory() + "/msmtprc"
        let config = """
            defaults
            auth off
            tls off
            logfile \(path).log

            account default
            host 127.0.0.1
            port \(smtp.port)
            from folio@folio.local
            """
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database,
                                       arguments: ["--sendmail", "\(msmtp) -C \(path) -t -i"] + arguments)
        return MailingServer(cluster: cluster, smtp: smtp, server: server)
    }

    private func outboxEntry(_ inv: Invoicing, invoice: Int64) throws -> JSON? {
        try inv.call("dispatch.list", ["invoice_id": JSON(invoice)])["items"]?.arrayValue?.last
    }

    /// With the tenant setting `einvoice_attachment`, invoice.send attaches the EN 16931 UBL
    /// e-invoice: next to the PDF ("both") or alone ("ubl"), and it validates.
    @Test func invoiceSendAttachesTheUBL() throws {
        let mailing = try mailingServer(["--dispatch-interval-ms", "200"])
        let (smtp, server) = (mailing.smtp, mailing.server)
        defer { mailing.server.stop() }  // (and keeps the cluster until then)
        let tenant = TestEnvironment.uniqueSlug("mailubl")
        let admin = try server.connect()
        _ = try admin.call("tenant.create", ["tenant": .string(tenant), "name": "Seller", "currency": "EUR"])
        let inv = Invoicing(client: admin, tenant: tenant)
        _ = try inv.call("tenant.update", [
            "email": "billing@seller.test", "tax_id": "DE123456789", "einvoice_attachment": "both",
            "address": ["line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"],
            "payment_account": ["iban": "DE89370400440532013000"],
        ])
        try inv.taxRate("VAT19", "19")
        let customer = try inv.call("customer.create", [
            "name": "Buyer", "email": "ap@buyer.test", "billing_address": ["city": "Paris", "country": "FR"],
        ]).id
        let first = try inv.issue(try inv.draft(customer: customer, [("Design work", "3", "150.00", "VAT19")]).id)
        _ = try inv.call("invoice.send", ["id": JSON(first.id)])
        let one = smtp.waitForMessages(1)
        try #require(one.count == 1, "no message arrived; foliod log:\n\(server.log())")
        let both = try smtp.parse(one[0], attachmentPath: smtp.folder + "/../first-attachment")
        #expect(both["text"]?.stringValue?.contains("No e-invoice") == false, "\(both["text"] ?? .null)")
        #expect(both["attachments"]?.arrayValue?.map { $0["filename"] } == [.string("\(first["number"]!.stringValue!).pdf"),
                                                                           .string("\(first["number"]!.stringValue!).xml")])
        _ = try inv.call("tenant.update", ["einvoice_attachment": "ubl"])
        #expect(try inv.call("tenant.get")["einvoice_attachment"] == "ubl")
        let second = try inv.issue(try inv.draft(customer: customer, [("More work", "1", "80.00", "VAT19")]).id)
        _ = try inv.call("invoice.send", ["id": JSON(second.id)])
        let two = smtp.waitForMessages(2)
        try #require(two.count == 2, "no second message; foliod log:\n\(server.log())")
        let xmlPath = smtp.folder + "/../second.xml"
        let ubl = try smtp.parse(two[1], attachmentPath: xmlPath)
        #expect(ubl["attachments"]?.arrayValue?.map { $0["filename"] } == [.string("\(second["number"]!.stringValue!).xml")])
        #expect(ubl["text"]?.stringValue?.contains("e-invoice") == true)
        let xml = Array(try Data(contentsOf: URL(fileURLWithPath: xmlPath)))
        let report = try #require(try EN16931Validator.validate([("mailed", xml)])["mailed"])
        #expect(report.fatal.isEmpty && report.xsdErrors.isEmpty, "\(report.fatal) \(report.xsdErrors)")
        #expect(report.totals["payable"]?.stringValue == second["total"]?.stringValue)
    }

    @Test func invoiceGoesOutByMailAndSurvivesAnSMTPOutage() throws {
        let mailing = try mailingServer(["--dispatch-interval-ms", "200", "--dispatch-backoff-ms", "500"])
        let (smtp, server) = (mailing.smtp, mailing.server)
        defer { mailing.server.stop() }  // (and keeps the cluster until then)

        let tenant = TestEnvironment.uniqueSlug("mail")
        let admin = try server.connect()
        _ = try admin.call("tenant.create", ["tenant": .string(tenant), "name": "Zoë's Atelier Łódź", "currency": "EUR"])
        _ = try admin.call("tenant.update", ["tenant": .string(tenant), "email": "billing@atelier.test"])
        let inv = Invoicing(client: admin, tenant: tenant)
        let customer = try inv.call("customer.create", ["name": "Müller GmbH", "email": "ap@mueller.test"]).id
        let first = try inv.issue(try inv.draft(customer: customer, [("Design work", "3", "150.00", nil)]).id)
        let number = try #require(first["number"]?.stringValue)

        // --- delivered
        let queued = try inv.call("invoice.send", ["id": JSON(first.id)])
        #expect(queued["status"] == "queued")
        #expect(queued["recipient"] == "ap@mueller.test")
        let delivered = smtp.waitForMessages(1)
        try #require(delivered.count == 1, "no message arrived; foliod log:\n\(server.log())")
        #expect(smtp.envelopeRecipients(delivered[0]) == ["ap@mueller.test"])

        let pdfPath = smtp.folder + "/../attachment.pdf"
        let mail = try smtp.parse(delivered[0], attachmentPath: pdfPath)
        #expect(mail["subject"]?.stringValue == "Invoice \(number) from Zoë's Atelier Łódź")
        #expect(mail["raw_headers"]?.stringValue?.contains("Subject: =?UTF-8?B?") == true)
        #expect(mail["to"]?.stringValue == "ap@mueller.test")
        #expect(mail["from"]?.stringValue?.contains("billing@atelier.test") == true)
        #expect(mail["mime_version"] == "1.0")
        #expect(mail["date_ok"] == .bool(true))
        #expect(mail["message_id"]?.stringValue?.hasSuffix("@atelier.test>") == true)
        #expect(mail["defects"]?.arrayValue?.isEmpty == true)
        let tree = mail["tree"]
        #expect(tree?["type"] == "multipart/mixed")
        let parts = tree?["parts"]?.arrayValue ?? []
        #expect(parts.count == 2)
        #expect(parts.first?["type"] == "multipart/alternative")
        #expect(parts.first?["parts"]?.arrayValue?.map { $0["type"] } == ["text/plain", "text/html"])
        #expect(parts.last?["type"] == "application/pdf")
        #expect(mail["attachments"]?.arrayValue?.first?["filename"]?.stringValue == "\(number).pdf")
        #expect(mail["text"]?.stringValue?.contains(number) == true)
        #expect(mail["text"]?.stringValue?.contains("Müller GmbH") == true)
        #expect(mail["html"]?.stringValue?.contains(number) == true)
        let pdfText = try Poppler.text(ofFile: pdfPath)
        #expect(pdfText.contains(number))
        #expect(pdfText.contains("Design work"))

        #expect(try eventually { try outboxEntry(inv, invoice: first.id)?["status"] == "sent" })
        let sentEntry = try #require(try outboxEntry(inv, invoice: first.id))
        #expect(sentEntry["attempts"] == 1)
        #expect(sentEntry["sent_at"]?.stringValue != nil)
        #expect(sentEntry["attempts_log"]?.arrayValue?.map { $0["ok"] } == [.bool(true)])
        let afterSend = try inv.call("invoice.get", ["id": JSON(first.id)])
        #expect(afterSend["status"] == "sent")
        #expect(afterSend["sent_at"]?.stringValue != nil)

        // --- SMTP server down: stays queued, the failed attempt is on record
        smtp.stop()
        let second = try inv.issue(try inv.draft(customer: customer, [("Hosting", "1", "20.00", nil)]).id)
        let secondNumber = try #require(second["number"]?.stringValue)
        let queuedAgain = try inv.call("invoice.send", ["number": .string(secondNumber), "to": "other@example.test"])
        #expect(queuedAgain["recipient"] == "other@example.test")
        #expect(try eventually { (try outboxEntry(inv, invoice: second.id)?["attempts"]?.int64Value ?? 0) >= 1 })
        let waiting = try #require(try outboxEntry(inv, invoice: second.id))
        #expect(waiting["status"] == "queued")
        #expect(waiting["next_attempt_at"]?.stringValue != nil)
        #expect(waiting["last_error"]?.stringValue?.isEmpty == false)
        #expect(waiting["attempts_log"]?.arrayValue?.first?["ok"] == .bool(false))
        #expect(waiting["attempts_log"]?.arrayValue?.first?["error"]?.stringValue?.isEmpty == false)
        #expect(try inv.call("invoice.get", ["id": JSON(second.id)])["status"] == "issued")
        #expect(smtp.messages().count == 1)

        // --- back up: the retry goes out
        try smtp.start()
        let all = smtp.waitForMessages(2, timeout: 60)
        try #require(all.count == 2, "the queued message did not go out; foliod log:\n\(server.log())")
        #expect(smtp.envelopeRecipients(all[1]) == ["other@example.test"])
        let retried = try smtp.parse(all[1], attachmentPath: pdfPath)
        #expect(retried["subject"]?.stringValue == "Invoice \(secondNumber) from Zoë's Atelier Łódź")
        #expect(try Poppler.text(ofFile: pdfPath).contains(secondNumber))
        #expect(try eventually { try outboxEntry(inv, invoice: second.id)?["status"] == "sent" })
        let done = try #require(try outboxEntry(inv, invoice: second.id))
        let log = done["attempts_log"]?.arrayValue ?? []
        #expect(log.count >= 2)
        #expect(log.last?["ok"] == .bool(true))
        #expect(log.dropLast().allSatisfy { $0["ok"] == .bool(false) })
        #expect(try inv.call("invoice.get", ["id": JSON(second.id)])["status"] == "sent")

        let sentList = try inv.call("dispatch.list", ["status": "sent"])["items"]?.arrayValue ?? []
        #expect(sentList.compactMap { $0["number"]?.stringValue }.sorted() == [number, secondNumber].sorted())
    }

    /// The sender visits the tenants whose outbox announced mail (NOTIFY from the outbox's
    /// trigger) or holds a retry that is due, not every tenant on every pass. Sweeps are
    /// turned off here (only the first pass, before these tenants exist, visits everyone):
    /// mail still goes out at once, a failed attempt is still retried when due, and idle
    /// tenants are never visited.
    @Test func senderVisitsOnlyTenantsWithMail() throws {
        let mailing = try mailingServer(["--dispatch-interval-ms", "100", "--dispatch-sweep-passes", "1000000",
                                         "--dispatch-backoff-ms", "300"])
        let (smtp, server) = (mailing.smtp, mailing.server)
        defer { mailing.server.stop() }  // (and keeps the cluster until then)
        // The first pass (the only sweep) has read the tenant list before these tenants exist.
        try #require(try eventually(30) { server.log().contains("outbox: visiting every tenant") }, "\(server.log())")
        let idle = try (0..<5).map { _ in try server.makeTenant("idle") }
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("busy"))
        let customer = try inv.call("customer.create", ["name": "Buyer", "email": "ap@buyer.test"]).id

        let first = try inv.issue(try inv.draft(customer: customer, [("Work", "1", "10.00", nil)]).id)
        _ = try inv.call("invoice.send", ["id": JSON(first.id)])
        try #require(smtp.waitForMessages(1, timeout: 10).count == 1, "the announced mail did not go out:\n\(server.log())")

        // Delivery fails: the retry is due 0.3 s later and goes out without any new announcement.
        smtp.stop()
        let second = try inv.issue(try inv.draft(customer: customer, [("More work", "1", "10.00", nil)]).id)
        _ = try inv.call("invoice.send", ["id": JSON(second.id)])
        #expect(try eventually { (try outboxEntry(inv, invoice: second.id)?["attempts"]?.int64Value ?? 0) >= 1 })
        try smtp.start()
        try #require(smtp.waitForMessages(2, timeout: 20).count == 2, "the retry did not go out:\n\(server.log())")

        let visits = server.log().components(separatedBy: "\n").filter { $0.contains("outbox: visiting tenant") }
        #expect(visits.contains { $0.contains("tenant=\(inv.tenant)") }, "\(visits.count) visits")
        for tenant in idle {
            #expect(!visits.contains { $0.contains("tenant=\(tenant)") }, "idle tenant \(tenant) was visited")
        }
    }

    @Test func sendNeedsAnIssuedInvoiceAndARecipient() throws {
        let server = ServerProcess.shared
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("mailv"))
        let customer = try inv.customer("No Mail Ltd")
        let draft = try inv.draft(customer: customer, [("Job", "1", "10.00", nil)])
        do {
            _ = try inv.call("invoice.send", ["id": JSON(draft.id), "to": "x@example.test"])
            Issue.record("a draft was queued for sending")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.conflict)
        }
        _ = try inv.issue(draft.id)
        do {
            _ = try inv.call("invoice.send", ["id": JSON(draft.id)])
            Issue.record("an invoice without a recipient was queued")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.invalidParams)
        }
        let other = try inv.issue(try inv.draft(customer: customer, [("Job 2", "1", "10.00", nil)]).id)
        _ = try inv.call("invoice.void", ["id": JSON(other.id), "reason": "wrong"])
        do {
            _ = try inv.call("invoice.send", ["id": JSON(other.id), "to": "x@example.test"])
            Issue.record("a void invoice was queued")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.conflict)
        }
        #expect(try inv.call("dispatch.list")["items"]?.arrayValue?.isEmpty == true)
    }

    @Test func batchPrintedInvoicesCanBeMarkedSentByPost() throws {
        let server = ServerProcess.shared
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("post"))
        let customer = try inv.customer()
        let a = try inv.issue(try inv.draft(customer: customer, [("A", "1", "10.00", nil)]).id)
        let b = try inv.issue(try inv.draft(customer: customer, [("B", "1", "10.00", nil)]).id)
        let marked = try inv.call("invoice.mark_sent", ["ids": [JSON(a.id), JSON(b.id)]])
        #expect(marked["items"]?.arrayValue?.map { $0["status"] } == ["sent", "sent"])
        let listed = try inv.call("invoice.list", ["status": "sent"])["items"]?.arrayValue ?? []
        #expect(Set(listed.map(\.id)) == [a.id, b.id])
        let draft = try inv.draft(customer: customer, [("C", "1", "10.00", nil)])
        #expect(throws: RPCError.self) { try inv.call("invoice.mark_sent", ["ids": [JSON(draft.id)]]) }
    }
}
