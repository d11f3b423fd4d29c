import FolioClient
import FolioTestSupport
import FolioWire
import Foundation
import Testing

/// Contract v1.1 "Collections": reminder.run over an as_of timeline — grace, levels,
/// exactly once per (invoice, level) also under repeated and concurrent runs, the highest
/// level only on a late first run, disputed and paid invoices skipped, fee and interest
/// invoices to the cent in the gapless invoice series.
@Suite(.timeLimit(.minutes(10))) struct ReminderTests {
    let server = ServerProcess.shared

    static let levels: JSON = [
        ["level": 1, "days_past_due": 0, "fee": .null, "message": "Friendly reminder: this invoice is overdue."],
        ["level": 2, "days_past_due": 14, "fee": "5.00", "message": "Second reminder: please pay now."],
        ["level": 3, "days_past_due": 30, "fee": "12.50", "message": "Final notice before collection."],
    ]

    /// A tenant with three levels, grace 3 days and 8 % interest.
    private func collectionsTenant(_ prefix: String, interest: String? = "8.00") throws -> Invoicing {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant(prefix))
        let settings = try inv.call("tenant.update", [
            "reminder_grace_days": 3, "reminder_levels": Self.levels,
            "late_interest_percent": interest.map { .string($0) } ?? .null,
        ])
        #expect(settings["reminder_grace_days"] == 3)
        #expect(settings["reminder_levels"]?.arrayValue?.count == 3)
        return inv
    }

    private func issued(_ inv: Invoicing, customer: Int64, amount: String, on date: String) throws -> JSON {
        try inv.draft(customer: customer, [("Work", "1", amount, nil)], extra: ["issue": true, "issue_date": .string(date)])
    }

    private func run(_ inv: Invoicing, _ asOf: String) throws -> JSON {
        try inv.call("reminder.run", ["as_of": .string(asOf)])
    }

    private static let iso: DateFormatter = {
        let f = DateFormatter()
        f.calendar = Calendar(identifier: .gregorian)
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd"
        return f
    }()

    private static func day(_ s: String, plus days: Int = 0) -> String {
        iso.string(from: iso.date(from: s)!.addingTimeInterval(Double(days) * 86_400))
    }

    private static func days(from a: String, to b: String) -> Int {
        Int((iso.date(from: b)!.timeIntervalSince(iso.date(from: a)!) / 86_400).rounded())
    }

    /// balance × rate / 100 × days / 365 to the cent, half away from zero, in integers.
    private static func interest(cents: Int, ratePercentHundredths: Int, days: Int) -> String {
        let numerator = cents * ratePercentHundredths * days
        let denominator = 100 * 100 * 365
        let result = (2 * numerator + denominator) / (2 * denominator)
        return String(format: "%d.%02d", result / 100, result % 100)
    }

    /// Σ balance × days × rate / 100 / 365 over segments of constant balance, to the cent,
    /// half away from zero, in integers: the documented formula with each day's own balance.
    private static func dailyInterest(_ segments: [(cents: Int, days: Int)], ratePercentHundredths: Int) -> String {
        let balanceDays = segments.reduce(0) { $0 + $1.cents * $1.days }
        return interest(cents: balanceDays, ratePercentHundredths: ratePercentHundredths, days: 1)
    }

    /// Interest runs on the balance actually outstanding each day: a partial payment (or a
    /// refund, or a credit note) changes it from its own date on, also when it is dated
    /// after the run's as_of (then it does not count yet); a payment dated within days
    /// already charged changes nothing charged; no day is charged twice.
    @Test func interestFollowsTheDailyBalanceAfterPartialPayments() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("remday"))
        _ = try inv.call("tenant.update", [
            "reminder_grace_days": 0, "late_interest_percent": "7.5",
            "reminder_levels": [["level": 1, "days_past_due": 0, "message": "One"],
                                ["level": 2, "days_past_due": 14, "message": "Two"],
                                ["level": 3, "days_past_due": 30, "message": "Three"]],
        ])
        let customer = try inv.customer("Part Payer", terms: 30)
        let a = try issued(inv, customer: customer, amount: "1000.00", on: "2026-01-01")   // due 01-31
        let b = try issued(inv, customer: customer, amount: "800.00", on: "2026-01-01")    // due 01-31
        #expect(a["due_date"] == "2026-01-31")
        func pay(_ invoice: JSON, _ amount: String, on date: String) throws -> JSON {
            try inv.call("payment.record", ["customer_id": JSON(customer), "amount": .string(amount), "received_on": .string(date),
                                            "method": "bank_transfer",
                                            "allocations": [["invoice_id": JSON(invoice.id), "amount": .string(amount)]]])
        }
        func created(_ result: JSON, _ invoice: JSON) throws -> JSON {
            try #require(result["created"]?.arrayValue?.first { $0["invoice_id"] == JSON(invoice.id) })
        }
        func interestInvoice(_ c: JSON) throws -> JSON {
            try inv.call("invoice.get", ["number": try #require(c["interest_invoice_number"])])
        }

        // Level 1 on 02-05: 02-01..02-05 on the full balances.
        let first = try run(inv, "2026-02-05")
        #expect(try interestInvoice(try created(first, a))["total"] == "1.03")     // 1000 × 5 days
        #expect(try interestInvoice(try created(first, b))["total"] == .string(Self.dailyInterest([(80_000, 5)], ratePercentHundredths: 750)))

        // A pays 400 on 02-10; B pays 300 dated 02-25, recorded before the run for 02-20.
        let p1 = try pay(a, "400.00", on: "2026-02-10")
        _ = try pay(b, "300.00", on: "2026-02-25")
        let second = try run(inv, "2026-02-20")
        // A: 02-06..02-09 on 1000, 02-10..02-20 on 600 (not 15 days on 600 = 1.85).
        let a2 = try interestInvoice(try created(second, a))
        #expect(a2["total"] == .string(Self.dailyInterest([(100_000, 4), (60_000, 11)], ratePercentHundredths: 750)))
        #expect(a2["total"] == "2.18")
        let a2Line = a2["lines"]?.arrayValue?.first?["description"]?.stringValue ?? ""
        #expect(a2Line.contains("1000.00 EUR from 2026-02-06, 600.00 EUR from 2026-02-10"), "\(a2Line)")
        #expect(a2Line.contains("2026-02-06 to 2026-02-20 (15 days)"), "\(a2Line)")
        // B: every day up to 02-20 still owed 800 (its payment is dated later): 2.47, not 15 days on 500.
        let b2 = try interestInvoice(try created(second, b))
        #expect(b2["total"] == .string(Self.dailyInterest([(80_000, 15)], ratePercentHundredths: 750)))
        #expect(b2["total"] == "2.47")
        #expect(b2["lines"]?.arrayValue?.first?["description"]?.stringValue?.contains("on 800.00 EUR of invoice") == true)

        // After that run: A gets 50 dated 02-18 (days already charged), 100 of its 400
        // refunded on 02-23, and a credit note of 150 dated 02-26.
        _ = try pay(a, "50.00", on: "2026-02-18")
        _ = try inv.call("payment.refund", ["payment_id": p1["id"]!, "amount": "100.00", "reason": "partly returned",
                                            "refunded_on": "2026-02-23"])
        _ = try inv.call("credit_note.create", ["invoice_id": JSON(a.id), "amount": "150.00", "reason": "discount granted",
                                                "issue_date": "2026-02-26"])
        #expect(try inv.call("invoice.get", ["id": JSON(a.id)])["balance_due"] == "500.00")
        let third = try run(inv, "2026-03-05")
        // A: 02-21..02-22 on 550, 02-23..02-25 on 650, 02-26..03-05 on 500 (not 13 days on 500 = 1.34).
        let a3 = try interestInvoice(try created(third, a))
        #expect(a3["total"] == .string(Self.dailyInterest([(55_000, 2), (65_000, 3), (50_000, 8)], ratePercentHundredths: 750)))
        #expect(a3["total"] == "1.45")
        // B: 02-21..02-24 on 800, 02-25..03-05 on 500.
        let b3 = try interestInvoice(try created(third, b))
        #expect(b3["total"] == .string(Self.dailyInterest([(80_000, 4), (50_000, 9)], ratePercentHundredths: 750)))
        #expect(b3["total"] == "1.58")

        // The charged days join without gap or overlap, from the day after the due date.
        for (invoice, balances) in [(a, ["1000.00", "600.00", "500.00"]), (b, ["800.00", "500.00", "500.00"])] {
            let reminders = try inv.call("reminder.list", ["invoice_id": JSON(invoice.id)])["items"]?.arrayValue ?? []
            #expect(reminders.map { $0["level"] } == [1, 2, 3])
            #expect(reminders.map { $0["interest_from"] } == ["2026-02-01", "2026-02-06", "2026-02-21"])
            #expect(reminders.map { $0["interest_to"] } == ["2026-02-05", "2026-02-20", "2026-03-05"])
            #expect(reminders.map { $0["balance_due"] } == balances.map { JSON.string($0) })   // the balance at each run
        }
        // Later runs charge no day again: no new level, no new invoice.
        let count = try inv.call("invoice.list", ["limit": 500])["items"]?.arrayValue?.count
        #expect(count == 2 + 6)
        for asOf in ["2026-03-05", "2026-03-20", "2026-06-30"] {
            #expect(try run(inv, asOf)["created"] == .array([]))
        }
        #expect(try inv.call("invoice.list", ["limit": 500])["items"]?.arrayValue?.count == count)
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    /// When charge invoices are made: a fee of 0 and an interest that rounds to 0 make none
    /// (and those days stay uncharged, so the next level charges them); an archived
    /// customer gets the reminder but no charges; charges are dated the series' latest
    /// issue date when that is after as_of; charge invoices are never reminded themselves.
    @Test func chargeInvoicesAreMadeOnlyWhenDue() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("remchg"))
        _ = try inv.call("tenant.update", [
            "reminder_grace_days": 0, "late_interest_percent": "0.01",
            "reminder_levels": [["level": 1, "days_past_due": 0, "fee": "0.00", "message": "One"],
                                ["level": 2, "days_past_due": 10, "fee": "2.00", "message": "Two"]],
        ])
        let customer = try inv.customer("Staying", terms: 0)
        let leaving = try inv.customer("Leaving", terms: 0)
        let big = try issued(inv, customer: customer, amount: "5000.00", on: "2026-01-01")    // due 01-01
        let gone = try issued(inv, customer: leaving, amount: "5000.00", on: "2026-01-01")
        // Level 1 on 01-03: fee 0.00, interest 5000 × 0.01 % × 2 / 365 = 0.0027 -> 0.00: no charge invoice.
        let first = try run(inv, "2026-01-03")
        #expect(first["created"]?.arrayValue?.count == 2)
        #expect(first["created"]?.arrayValue?.allSatisfy {
            $0["level"] == 1 && $0["fee_invoice_number"] == nil && $0["interest_invoice_number"] == nil } == true, "\(first)")
        #expect(try inv.call("reminder.list", ["invoice_id": JSON(big.id)])["items"]?.arrayValue?.first?["interest_to"] == .null)
        #expect(try inv.call("invoice.list")["items"]?.arrayValue?.count == 2)

        _ = try inv.call("customer.archive", ["id": JSON(leaving)])
        let later = try issued(inv, customer: customer, amount: "1.00", on: "2026-01-15")
        // Level 2 as of 01-11, run after an invoice dated 01-15 was issued.
        let second = try run(inv, "2026-01-11")
        let forBig = try #require(second["created"]?.arrayValue?.first { $0["invoice_id"] == JSON(big.id) })
        let fee = try inv.call("invoice.get", ["number": try #require(forBig["fee_invoice_number"])])
        let interest = try inv.call("invoice.get", ["number": try #require(forBig["interest_invoice_number"])])
        #expect(fee["total"] == "2.00")
        // 01-02..01-11: the level-1 days that were not charged, too: 5000 × 0.01 % × 10 / 365 = 0.0137.
        #expect(interest["total"] == .string(Self.interest(cents: 500_000, ratePercentHundredths: 1, days: 10)))
        #expect(interest["total"] == "0.01")
        for charge in [fee, interest] {
            #expect(charge["issue_date"] == "2026-01-15")
            #expect(charge["customer_id"] == JSON(customer))
            #expect(charge["tax_total"] == "0.00")
        }
        let reminder = try #require(try inv.call("reminder.list", ["invoice_id": JSON(big.id)])["items"]?.arrayValue?.last)
        #expect(reminder["interest_from"] == "2026-01-02")
        #expect(reminder["interest_to"] == "2026-01-11")
        // The archived customer's invoice: the reminder, no charges.
        let forGone = try #require(second["created"]?.arrayValue?.first { $0["invoice_id"] == JSON(gone.id) })
        #expect(forGone["level"] == 2)
        #expect(forGone["fee_invoice_number"] == nil && forGone["interest_invoice_number"] == nil)
        #expect(try inv.call("invoice.list", ["customer_id": JSON(leaving)])["items"]?.arrayValue?.count == 1)

        // Months later the fee and interest invoices are long overdue, but only the ordinary
        // invoice is reminded (no fees on fees), and they are not counted as not due either.
        let third = try run(inv, "2026-06-01")
        #expect(third["created"]?.arrayValue?.map { $0["invoice_id"] } == [JSON(later.id)])
        #expect(third["skipped"]?["not_due"] == 0)
        for charge in [fee, interest] {
            #expect(try inv.call("invoice.get", ["id": charge["id"]!])["reminder_level"] == 0)
            #expect(try inv.call("reminder.list", ["invoice_id": charge["id"]!])["items"] == .array([]))
        }
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func timelineOf150DaysCrossesEachLevelOnce() throws {
        let inv = try collectionsTenant("remtl")
        let mailed = try inv.call("customer.create", ["name": "Mailed Ltd", "email": "ap@mailed.test", "payment_terms_days": 30]).id
        let posted = try inv.call("customer.create", ["name": "Posted Ltd", "payment_terms_days": 10]).id
        let start = "2026-01-05"
        let a = try issued(inv, customer: mailed, amount: "1000.00", on: start)          // due 02-04
        let b = try issued(inv, customer: posted, amount: "250.00", on: start)           // due 01-15
        let disputed = try issued(inv, customer: mailed, amount: "80.00", on: start)
        let paid = try issued(inv, customer: mailed, amount: "40.00", on: start)
        _ = try inv.call("invoice.dispute", ["id": JSON(disputed.id), "reason": "never delivered"])
        let terms = [a.id: "2026-02-04", b.id: "2026-01-15", disputed.id: "2026-02-04", paid.id: "2026-02-04"]
        #expect(a["due_date"] == "2026-02-04")
        #expect(b["due_date"] == "2026-01-15")
        #expect(a["reminder_level"] == 0)

        var seen: [Int64: [Int]] = [:]
        var lastCharged: [Int64: String] = [:]
        var chargeNumbers: [String] = []
        for offset in 0..<150 {
            let asOf = Self.day(start, plus: offset)
            if asOf == "2026-02-10" {   // after its first reminder the small invoice is paid
                _ = try inv.call("payment.record", ["customer_id": JSON(mailed), "amount": "40.00", "received_on": "2026-02-10",
                                                    "method": "bank_transfer", "allocations": [["invoice_id": JSON(paid.id), "amount": "40.00"]]])
            }
            let result = try run(inv, asOf)
            #expect(result["as_of"] == .string(asOf))
            // What each open invoice should get today: the level whose day it is.
            var expected: [Int64: Int] = [:]
            for (id, due) in terms where id != disputed.id && !(id == paid.id && asOf >= "2026-02-10") {
                for (index, dpd) in [0, 14, 30].enumerated() where Self.day(due, plus: 3 + dpd) == asOf {
                    expected[id] = index + 1
                }
            }
            let created = result["created"]?.arrayValue ?? []
            var got: [Int64: Int] = [:]
            for c in created {
                let id = c["invoice_id"]!.int64Value!
                got[id] = Int(c["level"]!.int64Value!)
                seen[id, default: []].append(got[id]!)
                let level = got[id]!
                #expect((c["fee_invoice_number"]?.stringValue != nil) == (level > 1), "fee on level \(level)")
                // Interest for the days not yet charged, as its own invoice.
                let due = terms[id]!
                let from = lastCharged[id] ?? due
                let days = Self.days(from: from, to: asOf)
                let balance = try inv.call("invoice.get", ["id": JSON(id)])["balance_due"]!.stringValue!
                let cents = Int(balance.replacingOccurrences(of: ".", with: ""))!
                let amount = Self.interest(cents: cents, ratePercentHundredths: 800, days: days)
                let interestNumber = try #require(c["interest_invoice_number"]?.stringValue)
                let interestInvoice = try inv.call("invoice.get", ["number": .string(interestNumber)])
                #expect(interestInvoice["total"] == .string(amount), "interest \(days) days on \(balance)")
                #expect(interestInvoice["status"] == "issued")
                #expect(interestInvoice["issue_date"] == .string(asOf))
                #expect(interestInvoice["notes"]?.stringValue?.contains(try #require(c["number"]?.stringValue)) == true)
                lastCharged[id] = asOf
                chargeNumbers.append(interestNumber)
                if let fee = c["fee_invoice_number"]?.stringValue {
                    let feeInvoice = try inv.call("invoice.get", ["number": .string(fee)])
                    #expect(feeInvoice["total"] == (level == 2 ? "5.00" : "12.50"))
                    #expect(feeInvoice["lines"]?.arrayValue?.first?["description"]?.stringValue?.contains(c["number"]!.stringValue!) == true)
                    chargeNumbers.append(fee)
                }
            }
            #expect(got == expected, "as_of \(asOf)")
            // Disputed: counted once it reaches a level it has not had.
            let disputedReached = asOf >= "2026-02-07"
            #expect(result["skipped"]?["disputed"] == JSON(disputedReached ? 1 : 0), "as_of \(asOf)")
        }
        #expect(seen[a.id] == [1, 2, 3])
        #expect(seen[b.id] == [1, 2, 3])
        #expect(seen[paid.id] == [1])
        #expect(seen[disputed.id] == nil)
        // The overdue invoice itself never changed; it records its level.
        let after = try inv.call("invoice.get", ["id": JSON(a.id)])
        #expect(after["total"] == "1000.00")
        #expect(after["balance_due"] == "1000.00")
        #expect(after["reminder_level"] == 3)
        // Channels: e-mail for the customer with an address, to_print for the other.
        let listed = try inv.call("reminder.list", ["invoice_id": JSON(b.id)])["items"]?.arrayValue ?? []
        #expect(listed.map { $0["status"] } == ["to_print", "to_print", "to_print"])
        #expect(listed.map { $0["channel"] } == ["post", "post", "post"])
        #expect(listed.map { $0["level"] } == [1, 2, 3])
        #expect(listed[0]["as_of"] == "2026-01-18")
        let mailedReminders = try inv.call("reminder.list", ["customer_id": JSON(mailed)])["items"]?.arrayValue ?? []
        #expect(mailedReminders.count == 4)
        #expect(mailedReminders.allSatisfy { $0["channel"] == "email" })
        // Charges are ordinary issued invoices, numbered without gaps after the four.
        let numbers = Set(chargeNumbers)
        #expect(numbers.count == chargeNumbers.count)
        #expect(numbers.count == 3 + 3 + 1 + 2 + 2)
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func repeatedAndConcurrentRunsCreateEachReminderOnce() throws {
        let inv = try collectionsTenant("remcc", interest: nil)
        let customer = try inv.call("customer.create", ["name": "Many", "payment_terms_days": 0]).id
        var ids: [Int64] = []
        for i in 0..<20 { ids.append(try issued(inv, customer: customer, amount: "\(100 + i).00", on: "2026-03-01").id) }
        let tenant = inv.tenant
        let asOfs = ["2026-03-04", "2026-03-18", "2026-04-03"]  // level 1, 2, 3 days
        let made = Shared<[String]>([])
        let failures = Shared<[String]>([])
        for asOf in asOfs {
            concurrently(8) { _ in
                do {
                    let client = Invoicing(client: try server.connect(), tenant: tenant)
                    for _ in 0..<3 {
                        let result = try client.call("reminder.run", ["as_of": .string(asOf)])
                        for c in result["created"]?.arrayValue ?? [] {
                            made.update { $0.append("\(c["invoice_id"]!.int64Value!)/\(c["level"]!.int64Value!)") }
                        }
                    }
                } catch {
                    failures.update { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(made.value.count == 60)
        #expect(Set(made.value).count == 60)
        let all = try inv.call("reminder.list", ["limit": 500])["items"]?.arrayValue ?? []
        #expect(all.count == 60)
        // Fees of levels 2 and 3: 40 charge invoices after the 20, numbers without gaps.
        let fees = all.compactMap { $0["fee_invoice_number"]?.stringValue }
        #expect(fees.count == 40)
        #expect(try inv.call("invoice.list", ["limit": 500])["items"]?.arrayValue?.count == 60)
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
        // Running again changes nothing.
        #expect(try run(inv, "2026-04-03")["created"] == .array([]))
    }

    @Test func aLateFirstRunMakesOnlyTheHighestLevelReached() throws {
        let inv = try collectionsTenant("remlate")
        let customer = try inv.call("customer.create", ["name": "Late", "payment_terms_days": 14]).id
        let invoice = try issued(inv, customer: customer, amount: "730.00", on: "2026-01-01")   // due 01-15
        let notYet = try issued(inv, customer: customer, amount: "10.00", on: "2026-03-01")     // due 03-15
        let first = try run(inv, "2026-03-01")
        let created = first["created"]?.arrayValue ?? []
        #expect(created.count == 1)
        #expect(created.first?["level"] == 3)
        #expect(created.first?["invoice_id"] == JSON(invoice.id))
        #expect(first["skipped"]?["not_due"] == 1)
        // Interest: from the day after the due date to as_of, both included: 45 days.
        let interest = try inv.call("invoice.get", ["number": created[0]["interest_invoice_number"]!])
        #expect(interest["total"] == .string(Self.interest(cents: 73_000, ratePercentHundredths: 800, days: 45)))
        // Levels 1 and 2 were jumped over and are never made; later runs make nothing new for it.
        for asOf in ["2026-03-02", "2026-03-20", "2026-06-01"] {
            let later = try run(inv, asOf)
            #expect(later["created"]?.arrayValue?.contains { $0["invoice_id"] == JSON(invoice.id) } == false)
        }
        let reminders = try inv.call("reminder.list", ["invoice_id": JSON(invoice.id)])["items"]?.arrayValue ?? []
        #expect(reminders.map { $0["level"] } == [3])
        #expect(try inv.call("invoice.get", ["id": JSON(notYet.id)])["reminder_level"] == 3)
    }

    @Test func settingsAreCheckedAndTermsTextIsOnEveryDocument() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("remset"))
        func expectError(_ code: Int, _ field: String, _ params: JSONObject, method: String = "tenant.update") {
            do {
                _ = try inv.call(method, params)
                Issue.record("expected \(code) on \(field)")
            } catch let error as RPCError {
                #expect(error.code == code, "\(error)")
                #expect(error.field == field, "\(error)")
            } catch { Issue.record("\(error)") }
        }
        expectError(-32602, "reminder_grace_days", ["reminder_grace_days": 61])
        expectError(-32602, "reminder_levels[1].days_past_due", ["reminder_levels": [
            ["level": 1, "days_past_due": 10, "message": "a"], ["level": 2, "days_past_due": 10, "message": "b"]]])
        expectError(-32602, "reminder_levels[1].level", ["reminder_levels": [
            ["level": 1, "days_past_due": 1, "message": "a"], ["level": 3, "days_past_due": 10, "message": "b"]]])
        expectError(-32602, "reminder_levels[0].fee", ["reminder_levels": [["level": 1, "days_past_due": 1, "fee": "1.005", "message": "a"]]])
        expectError(-32602, "reminder_levels", ["reminder_levels": .array((1...6).map { ["level": JSON($0), "days_past_due": JSON($0), "message": "m"] })])
        expectError(-32602, "as_of", ["as_of": "2999-01-01"], method: "reminder.run")
        let fresh = try inv.call("tenant.get")
        #expect(fresh["reminder_grace_days"] == 3)
        #expect(fresh["reminder_levels"] == .array([]))
        #expect(fresh["payment_terms_text"] == .null)
        #expect(fresh["late_interest_percent"] == .null)

        // Derived texts, then the tenant's own, frozen on issued invoices.
        let customer = try inv.customer("Terms Co", terms: 0)
        let onReceipt = try inv.draft(customer: customer, [("A", "1", "1.00", nil)], extra: ["issue": true])
        #expect(onReceipt["payment_terms_text"] == "Due upon receipt")
        let draft = try inv.draft(customer: customer, [("A2", "1", "1.00", nil)], extra: ["payment_terms_days": 1])
        #expect(draft["payment_terms_text"] == "Payment due within 1 day")
        #expect(try inv.call("invoice.update", ["id": JSON(draft.id), "payment_terms_days": 45])["payment_terms_text"]
                == "Payment due within 45 days")
        let net = try inv.draft(customer: customer, [("B", "1", "1.00", nil)], extra: ["issue": true, "payment_terms_days": 21])
        #expect(net["payment_terms_text"] == "Payment due within 21 days")
        _ = try inv.call("tenant.update", ["payment_terms_text": "Net 30, 2% 10 days"])
        let own = try inv.draft(customer: customer, [("C", "1", "1.00", nil)], extra: ["issue": true])
        #expect(own["payment_terms_text"] == "Net 30, 2% 10 days")
        #expect(own["reminder_level"] == 0)
        #expect(try inv.draft(customer: customer, [("D", "1", "1.00", nil)])["payment_terms_text"] == "Net 30, 2% 10 days")
        #expect(try inv.call("invoice.get", ["id": JSON(net.id)])["payment_terms_text"] == "Payment due within 21 days")
        for format in ["pdf", "html", "text"] {
            let rendered = try inv.call("invoice.render", ["id": JSON(own.id), "format": .string(format)])
            let data = Data(base64Encoded: rendered["data_base64"]!.stringValue!)!
            let text: String
            if format == "pdf" {
                text = try Poppler.text(Array(data))
            } else {
                text = String(decoding: data, as: UTF8.self)
            }
            #expect(text.contains("Net 30, 2% 10 days"), "\(format)")
        }
        _ = try inv.call("tenant.update", ["payment_terms_text": .null])
        #expect(try inv.call("tenant.get")["payment_terms_text"] == .null)
        #expect(try inv.call("invoice.get", ["id": JSON(own.id)])["payment_terms_text"] == "Net 30, 2% 10 days")
    }

    @Test func toPrintLettersMakeOneBatchPDF() throws {
        let inv = try collectionsTenant("remprint", interest: nil)
        let customer = try inv.call("customer.create", ["name": "Paper Post GmbH", "payment_terms_days": 0,
                                                        "billing_address": ["line1": "Hauptstr. 1", "city": "Berlin"]]).id
        let first = try issued(inv, customer: customer, amount: "99.00", on: "2026-04-01")
        let second = try issued(inv, customer: customer, amount: "55.00", on: "2026-04-01")
        _ = try run(inv, "2026-04-20")   // 19 days past due: level 2 with its fee
        let cli = CLI(socketPath: server.socketPath)
        let listed = try cli.run(["--tenant", inv.tenant, "reminder", "list", "--status", "to_print"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains(first["number"]!.stringValue!))
        let path = TestEnvironment.scratchDirectory() + "/letters.pdf"
        let printed = try cli.run(["--tenant", inv.tenant, "reminder", "print", "--output", path])
        #expect(printed.status == 0, "\(printed.stderr)")
        let text = try Poppler.text(ofFile: path)
        for expected in [first["number"]!.stringValue!, second["number"]!.stringValue!, "Second reminder: please pay now.",
                         "Paper Post GmbH", "Hauptstr. 1", "EUR 5.00", "Payment reminder (level 2)"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        #expect(text.components(separatedBy: "\u{0C}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.count == 2)
        // Marked as posted, they leave the print queue.
        let ids = (try inv.call("reminder.list", ["status": "to_print"])["items"]?.arrayValue ?? []).map { $0["id"]! }
        let marked = try inv.call("reminder.mark_sent", ["ids": .array(ids)])
        #expect(marked["items"]?.arrayValue?.allSatisfy { $0["status"] == "sent" } == true)
        #expect(try inv.call("reminder.list", ["status": "to_print"])["items"] == .array([]))
    }
}
