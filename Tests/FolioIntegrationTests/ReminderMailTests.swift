import FolioClient
import FolioTestSupport
import FolioWire
import Foundation
import Testing

/// Reminders through the real outbox and mailer (msmtp to an SMTP sink, as MailTests):
/// the letter PDF attached, and a reminder whose invoice was paid or disputed before it
/// went out is cancelled instead of sent.
@Suite(.timeLimit(.minutes(5))) struct ReminderMailTests {
    @Test func reminderLettersGoOutAndStaleOnesAreCancelled() throws {
        let msmtp = "/usr/bin/msmtp"
        try #require(FileManager.default.isExecutableFile(atPath: msmtp), "msmtp is not installed (apt-get install -y msmtp)")
        let smtp = try SMTPSink()
        let config = TestEnvironment.scratchDirectory() + "/msmtprc"
        try "defaults\nauth off\ntls off\n\naccount default\nhost 127.0.0.1\nport \(smtp.port)\nfrom folio@folio.local\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        // The mailer is "down" while the flag file exists (the SMTP sink itself keeps its
        // port, so no other test's sink can take it meanwhile).
        let down = TestEnvironment.scratchDirectory() + "/mailer-down"
        let sendmail = TestEnvironment.scratchDirectory() + "/sendmail"
        try "#!/bin/sh\n[ -e \(down) ] && { cat >/dev/null; echo 'mailer down' >&2; exit 75; }\nexec \(msmtp) -C \(config) -t -i\n"
            .write(toFile: sendmail, atomically: true, encoding: .utf8)
        chmod(sendmail, 0o755)
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
}
