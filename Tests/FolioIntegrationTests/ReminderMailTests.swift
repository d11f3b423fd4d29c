import FolioClient
import FolioTestSupport
import FolioWire
import Foundation
import Testing

/// Reminders through the real outbox and mailer (msmtp to an SMTP sink, as MailTests):
/// the letter PDF attached, and a reminder whose invoice was paid, voided or disputed before it
/// went out is cancelled instead of sent.
@Suite(.timeLimit(.minutes(5))) struct ReminderMailTests {
    /// A sendmail for foliod that hands messages to `smtp` through msmtp; the mailer is
    /// "down" while the file `down` exists (the SMTP sink itself keeps its port, so no
    /// other test's sink can take it meanwhile).
    private static func mailer(_ smtp: SMTPSink) throws -> (sendmail: String, down: String) {
        let msmtp = "/usr/bin/msmtp"
        try #require(FileManager.default.isExecutableFile(atPath: msmtp), "msmtp is not installed (apt-get install -y msmtp)")
        let config = TestEnvironment.scratchDirectory() + "/msmtprc"
        try "defaults\nauth off\ntls off\n\naccount default\nhost 127.0.0.1\nport \(smtp.port)\nfrom folio@folio.local\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let down = TestEnvironment.scratchDirectory() + "/mailer-down"
        let sendmail = TestEnvironment.scratchDirectory() + "/sendmail"
        try "#!/bin/sh\n[ -e \(down) ] && { cat >/dev/null; echo 'mailer down' >&2; exit 75; }\nexec \(msmtp) -C \(config) -t -i\n"
            .write(toFile: sendmail, atomically: true, encoding: .utf8)
        chmod(sendmail, 0o755)
        return (sendmail, down)
    }

    @Test func reminderLettersGoOutAndStaleOnesAreCancelled() throws {
        let smtp = try SMTPSink()
        let (sendmail, down) = try Self.mailer(smtp)
        let cluster = try PrivateCluster()
        let server = try ServerProcess(database: cluster.database, arguments: [
            "--sendmail", sendmail, "--dispatch-interval-ms", "200", "--dispatch-backoff-ms", "300",
            "--scheduler-interval-ms", "0",
        ])
        defer { server.stop() }
        let tenant = try server.makeTenant("remmail", settings: [
            "payment_terms_text": "Net 14",
            "reminder_levels": [["level": 1, "days_past_due": 7, "fee": "4.50", "message": "Your invoice is overdue; please pay it."]],
        ])
        let inv = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try inv.call("customer.create", ["name": "Late Payer AG", "email": "ap@late.test", "payment_terms_days": 14]).id
        let invoice = try inv.draft(customer: customer, [("Consulting", "2", "300.00", nil)],
                                    extra: ["issue": true, "issue_date": "2026-03-01"])
        let number = try #require(invoice["number"]?.stringValue)
        let run = try inv.call("reminder.run", ["as_of": "2026-03-30"])   // due 03-15, 15 days overdue
        let fee = try #require(run["created"]?.arrayValue?.first?["fee_invoice_number"]?.stringValue)
        #expect(run["created"]?.arrayValue?.first?["status"] == "queued")

        let delivered = smtp.waitForMessages(1)
        try #require(delivered.count == 1, "no reminder arrived; foliod log:\n\(server.log())")
        #expect(smtp.envelopeRecipients(delivered[0]) == ["ap@late.test"])
        let pdfPath = smtp.folder + "/../letter.pdf"
        let mail = try smtp.parse(delivered[0], attachmentPath: pdfPath)
        #expect(mail["subject"]?.stringValue?.contains("Reminder 1: invoice \(number)") == true)
        #expect(mail["attachments"]?.arrayValue?.first?["filename"]?.stringValue == "reminder-\(number).pdf")
        #expect(mail["text"]?.stringValue?.contains("Your invoice is overdue; please pay it.") == true)
        #expect(mail["text"]?.stringValue?.contains("Net 14") == true)
        let letter = try Poppler.text(ofFile: pdfPath)
        for expected in [number, fee, "Payment reminder (level 1)", "Your invoice is overdue; please pay it.", "15",
                         "EUR 600.00", "EUR 4.50", "EUR 604.50", "Late Payer AG"] {
            #expect(letter.contains(expected), "letter lacks \(expected):\n\(letter)")
        }
        #expect(try eventually {
            try inv.call("reminder.list", ["invoice_id": JSON(invoice.id)])["items"]?.arrayValue?.first?["status"] == "sent"
        })
        let sentReminder = try inv.call("reminder.list", ["invoice_id": JSON(invoice.id)])["items"]?.arrayValue?.first
        #expect(sentReminder?["sent_at"]?.stringValue != nil)
        // The overdue invoice is not marked sent by its reminder and never changed.
        #expect(try inv.call("invoice.get", ["id": JSON(invoice.id)])["total"] == "600.00")

        // --- mailer down: reminders wait; one invoice is paid, one disputed meanwhile.
        FileManager.default.createFile(atPath: down, contents: Data())
        let paid = try inv.draft(customer: customer, [("Paid later", "1", "50.00", nil)], extra: ["issue": true, "issue_date": "2026-03-30"])
        let disputed = try inv.draft(customer: customer, [("Disputed later", "1", "70.00", nil)], extra: ["issue": true, "issue_date": "2026-03-30"])
        let kept = try inv.draft(customer: customer, [("Still open", "1", "90.00", nil)], extra: ["issue": true, "issue_date": "2026-03-30"])
        let second = try inv.call("reminder.run", ["as_of": "2026-04-23"])   // due 04-13, + 3 days grace + 7
        #expect(second["created"]?.arrayValue?.count == 3)
        #expect(try eventually {
            try inv.call("dispatch.list", ["invoice_id": JSON(kept.id)])["items"]?.arrayValue?.first?["attempts"]?.int64Value ?? 0 >= 1
        })
        _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "50.00", "received_on": "2026-04-24",
                                            "method": "bank_transfer", "allocations": [["invoice_id": JSON(paid.id), "amount": "50.00"]]])
        _ = try inv.call("invoice.dispute", ["id": JSON(disputed.id), "reason": "wrong quantity"])
        for stale in [paid.id, disputed.id] {
            #expect(try eventually {
                try inv.call("reminder.list", ["invoice_id": JSON(stale)])["items"]?.arrayValue?.first?["status"] == "cancelled"
            }, "reminder of invoice \(stale) was not cancelled")
            #expect(try inv.call("dispatch.list", ["invoice_id": JSON(stale)])["items"]?.arrayValue?.first?["status"] == "cancelled")
        }
        try FileManager.default.removeItem(atPath: down)
        let all = smtp.waitForMessages(2, timeout: 60)
        #expect(all.count == 2)
        usleep(1_500_000)
        #expect(smtp.messages().count == 2, "a cancelled reminder was mailed")
        #expect(try inv.call("reminder.list", ["invoice_id": JSON(kept.id)])["items"]?.arrayValue?.first?["status"] == "sent")
        #expect(try inv.call("reminder.list", ["status": "cancelled"])["items"]?.arrayValue?.count == 2)
    }

    /// A reminder made while the invoice was open, whose invoice is then voided by a
    /// credit note for its balance before the letter goes: the e-mail is cancelled when
    /// the sender comes to it (nothing reaches the SMTP server), and the posted letter is
    /// not in `folio reminder print`'s batch and becomes cancelled when marked sent.
    @Test func aReminderWhoseInvoiceIsVoidedBeforeItGoesIsNeitherMailedNorPrinted() throws {
        let smtp = try SMTPSink()
        let (sendmail, _) = try Self.mailer(smtp)
        let cluster = try PrivateCluster()
        // First a server whose sender does not come round within the test: the reminders wait in the outbox.
        let quiet = try ServerProcess(database: cluster.database, arguments: [
            "--sendmail", sendmail, "--dispatch-interval-ms", "3600000", "--scheduler-interval-ms", "0"])
        defer { quiet.stop() }
        let tenant = try quiet.makeTenant("remvoid", settings: [
            "reminder_grace_days": 0,
            "reminder_levels": [["level": 1, "days_past_due": 5, "message": "Please settle this invoice."]],
        ])
        let inv = Invoicing(client: try quiet.connect(), tenant: tenant)
        let mailed = try inv.call("customer.create", ["name": "Mail Box AG", "email": "ap@mailbox.test", "payment_terms_days": 10]).id
        let posted = try inv.call("customer.create", ["name": "Letter Box GmbH", "payment_terms_days": 10,
                                                      "billing_address": ["line1": "Postweg 2", "city": "Bonn", "country": "DE"]]).id
        func issued(_ customer: Int64, _ amount: String) throws -> JSON {
            try inv.draft(customer: customer, [("Services", "1", amount, nil)], extra: ["issue": true, "issue_date": "2026-05-01"])
        }
        let mailVoided = try issued(mailed, "120.00")
        let mailSettled = try issued(mailed, "130.00")   // partly paid, the rest credited
        let mailOpen = try issued(mailed, "140.00")
        let postVoided = try issued(posted, "150.00")
        let postOpen = try issued(posted, "160.00")
        let run = try inv.call("reminder.run", ["as_of": "2026-05-20"])   // due 05-11, level 1 from 05-16
        let created = run["created"]?.arrayValue ?? []
        #expect(created.count == 5)
        #expect(created.filter { $0["status"] == "queued" }.count == 3)
        #expect(created.filter { $0["status"] == "to_print" }.count == 2)
        #expect(try inv.call("dispatch.list")["items"]?.arrayValue?.allSatisfy { $0["status"] == "queued" && $0["attempts"] == 0 } == true)

        // Voided (and settled) after the reminders were made, before any letter went.
        for invoice in [mailVoided, postVoided] {
            let note = try inv.call("credit_note.create", ["invoice_id": JSON(invoice.id), "amount": invoice["total"]!,
                                                           "reason": "cancelled order"])
            #expect(note["total"] == invoice["total"])
            #expect(try inv.call("invoice.get", ["id": JSON(invoice.id)])["status"] == "void")
        }
        _ = try inv.call("payment.record", ["customer_id": JSON(mailed), "amount": "30.00", "received_on": "2026-05-25",
                                            "method": "bank_transfer",
                                            "allocations": [["invoice_id": JSON(mailSettled.id), "amount": "30.00"]]])
        _ = try inv.call("credit_note.create", ["invoice_id": JSON(mailSettled.id), "amount": "100.00", "reason": "goodwill"])
        #expect(try inv.call("invoice.get", ["id": JSON(mailSettled.id)])["balance_due"] == "0.00")
        // Until the sender comes, the reminders are still queued.
        #expect(try inv.call("reminder.list", ["invoice_id": JSON(mailVoided.id)])["items"]?.arrayValue?.first?["status"] == "queued")

        // The posted letters: the batch holds the open invoice's letter only.
        let cli = CLI(socketPath: quiet.socketPath)
        let path = TestEnvironment.scratchDirectory() + "/letters.pdf"
        let printed = try cli.run(["--tenant", tenant, "reminder", "print", "--output", path])
        #expect(printed.status == 0, "\(printed.stderr)")
        let letters = try Poppler.text(ofFile: path)
        #expect(letters.components(separatedBy: "\u{0C}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.count == 1)
        #expect(letters.contains(postOpen["number"]!.stringValue!))
        #expect(!letters.contains(postVoided["number"]!.stringValue!), "the void invoice's letter was printed:\n\(letters)")
        let toPrint = try inv.call("reminder.list", ["status": "to_print"])["items"]?.arrayValue ?? []
        let marked = try inv.call("reminder.mark_sent", ["ids": .array(toPrint.map { $0["id"]! })])["items"]?.arrayValue ?? []
        #expect(marked.map { "\($0["invoice_id"]?.int64Value ?? 0):\($0["status"]?.stringValue ?? "")" }.sorted()
                == ["\(postVoided.id):cancelled", "\(postOpen.id):sent"].sorted())
        quiet.stop()

        // Now a server whose sender runs: only the open invoice's reminder is mailed.
        let server = try ServerProcess(database: cluster.database, arguments: [
            "--sendmail", sendmail, "--dispatch-interval-ms", "200", "--scheduler-interval-ms", "0"])
        defer { server.stop() }
        let client = Invoicing(client: try server.connect(), tenant: tenant)
        let delivered = smtp.waitForMessages(1)
        try #require(delivered.count == 1, "no reminder arrived; foliod log:\n\(server.log())")
        let mail = try smtp.parse(delivered[0], attachmentPath: smtp.folder + "/../letter.pdf")
        #expect(mail["subject"]?.stringValue?.contains("invoice \(mailOpen["number"]!.stringValue!)") == true)
        for (invoice, reason) in [(mailVoided, "invoice is void"), (mailSettled, "invoice is paid")] {
            #expect(try eventually {
                try client.call("reminder.list", ["invoice_id": JSON(invoice.id)])["items"]?.arrayValue?.first?["status"] == "cancelled"
            }, "reminder of \(invoice["number"]!) was not cancelled")
            let entry = try #require(try client.call("dispatch.list", ["invoice_id": JSON(invoice.id)])["items"]?.arrayValue?.first)
            #expect(entry["status"] == "cancelled")
            #expect(entry["attempts"] == 0)
            #expect(entry["last_error"] == .string(reason))
            #expect(entry["sent_at"] == .null)
        }
        #expect(try eventually {
            try client.call("reminder.list", ["invoice_id": JSON(mailOpen.id)])["items"]?.arrayValue?.first?["status"] == "sent"
        })
        usleep(1_500_000)   // several more passes of the sender
        #expect(smtp.messages().count == 1, "a cancelled reminder was mailed")
        #expect(try client.call("reminder.list", ["status": "cancelled"])["items"]?.arrayValue?.count == 3)
    }
}
