import FolioClient
import FolioWire
import Foundation
import Testing

/// Contract v1.1 "Collections": recurring schedules — the anchor day kept across short
/// months, catch-up of missed periods each with its own period, exactly once under
/// concurrent runs, pause/resume with and without catching up, count and end date,
/// drafts when auto_issue is off, and "today" in the tenant's time zone.
@Suite(.timeLimit(.minutes(10))) struct RecurringTests {
    let server = ServerProcess.shared

    private func schedule(_ inv: Invoicing, customer: Int64, _ fields: JSONObject) throws -> JSON {
        var params = fields
        params["customer_id"] = JSON(customer)
        params["lines"] = [["description": "Hosting", "qty": "1", "unit_price": "49.00"]]
        return try inv.call("recurring.create", params)
    }

    private func run(_ inv: Invoicing, _ asOf: String? = nil) throws -> [JSON] {
        var params = JSONObject()
        if let asOf { params["as_of"] = .string(asOf) }
        let result = try inv.call("recurring.run", params)
        if let asOf { #expect(result["as_of"] == .string(asOf)) }
        #expect(result["failed"] == .array([]))
        return result["generated"]?.arrayValue ?? []
    }

    private func periods(_ items: [JSON]) -> [String] {
        items.map { "\($0["period_start"]?.stringValue ?? "?")..\($0["period_end"]?.stringValue ?? "?")" }
    }

    private func expectError(_ code: Int, _ field: String, _ body: () throws -> Any) {
        do {
            _ = try body()
            Issue.record("expected \(code) on \(field)")
        } catch let error as RPCError {
            #expect(error.code == code, "\(error)")
            #expect(error.field == field, "\(error)")
        } catch { Issue.record("\(error)") }
    }

    @Test func day31KeepsItsAnchorAcrossALeapFebruaryAndBack() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("rec31"))
        let customer = try inv.customer("Monthly")
        let s = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2024-01-31"])
        #expect(s["status"] == "active")
        #expect(s["next_date"] == "2024-01-31")
        let first = try run(inv, "2024-05-15")
        #expect(periods(first) == ["2024-01-31..2024-02-28", "2024-02-29..2024-03-30", "2024-03-31..2024-04-29",
                                   "2024-04-30..2024-05-30"])
        let second = try run(inv, "2025-03-31")
        #expect(periods(second).suffix(3) == ["2025-01-31..2025-02-27", "2025-02-28..2025-03-30", "2025-03-31..2025-04-29"])
        #expect(second.count == 11)
        // Every invoice of a run is dated the run's as_of, never its period's start.
        for item in first {
            let invoice = try inv.call("invoice.get", ["id": item["invoice_id"]!])
            #expect(invoice["issue_date"] == "2024-05-15")
            #expect(invoice["status"] == "issued")
            #expect(invoice["period_start"] == item["period_start"])
            #expect(invoice["period_end"] == item["period_end"])
        }
        let got = try inv.call("recurring.get", ["id": s["id"]!])
        #expect(got["next_date"] == "2025-04-30")
        #expect(got["invoices"]?.arrayValue?.count == 15)
        #expect(got["invoices"]?.arrayValue?.first?["number"] == "INV-000001")

        // day_of_month "last": the month's last day, whatever its length.
        let last = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2024-01-15", "day_of_month": "last"])
        #expect(last["day_of_month"] == "last")
        #expect(periods(try run(inv, "2025-04-30").filter { $0["schedule_id"] == last["id"] }).prefix(3) == ["2024-01-31..2024-02-28", "2024-02-29..2024-03-30",
                                                                   "2024-03-31..2024-04-29"])
        // Quarterly on the 30th: Feb has none, so the 28th/29th; the anchor comes back in May.
        let quarterly = try schedule(inv, customer: customer, ["interval": "quarterly", "start_date": "2025-11-30", "day_of_month": 30])
        #expect(periods(try run(inv, "2026-05-30").filter { $0["schedule_id"] == quarterly["id"] }) == ["2025-11-30..2026-02-27", "2026-02-28..2026-05-29",
                                                        "2026-05-30..2026-08-29"])
        #expect(try inv.call("recurring.get", ["id": quarterly["id"]!])["next_date"] == "2026-08-30")
        // The service period is on the documents.
        let rendered = try inv.call("invoice.render", ["id": first[0]["invoice_id"]!, "format": "text"])
        let text = String(decoding: Data(base64Encoded: rendered["data_base64"]!.stringValue!)!, as: UTF8.self)
        #expect(text.contains("2024-01-31 to 2024-02-28"))
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func aThreeMonthGapIsCaughtUpPeriodByPeriod() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("reccatch"))
        let customer = try inv.customer("Catch-up")
        let s = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-01-01"])
        #expect(periods(try run(inv, "2026-01-01")) == ["2026-01-01..2026-01-31"])
        #expect(try run(inv, "2026-01-31").isEmpty)
        let caughtUp = try run(inv, "2026-04-15")
        #expect(periods(caughtUp) == ["2026-02-01..2026-02-28", "2026-03-01..2026-03-31", "2026-04-01..2026-04-30"])
        let numbers = caughtUp.compactMap { $0["number"]?.stringValue }
        #expect(numbers == ["INV-000002", "INV-000003", "INV-000004"])
        for item in caughtUp {
            #expect(try inv.call("invoice.get", ["id": item["invoice_id"]!])["issue_date"] == "2026-04-15")
        }
        #expect(try run(inv, "2026-04-15").isEmpty)
        #expect(try run(inv, "2026-04-30").isEmpty)
        #expect(try inv.call("recurring.get", ["id": s["id"]!])["next_date"] == "2026-05-01")
    }

    @Test func concurrentRunsMakeEachPeriodOnce() throws {
        let tenant = try server.makeTenant("reccc")
        let inv = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try inv.customer("Racer")
        for day in 1...5 {
            _ = try schedule(inv, customer: customer, ["interval": "weekly", "start_date": .string("2026-0\(day)-0\(day)")])
        }
        let made = Shared<[String]>([])
        let failures = Shared<[String]>([])
        for asOf in ["2026-03-01", "2026-06-01", "2026-07-01"] {
            concurrently(8) { _ in
                do {
                    let client = Invoicing(client: try server.connect(), tenant: tenant)
                    let result = try client.call("recurring.run", ["as_of": .string(asOf)])
                    for g in result["generated"]?.arrayValue ?? [] {
                        made.update { $0.append("\(g["schedule_id"]!.int64Value!)@\(g["period_start"]!.stringValue!)") }
                    }
                } catch { failures.update { $0.append("\(error)") } }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(Set(made.value).count == made.value.count)
        // Weekly from 01-01, 02-02, 03-03, 04-04, 05-05 up to 07-01, inclusive.
        let expected = [26, 22, 18, 13, 9]
        #expect(made.value.count == expected.reduce(0, +))
        let invoices = try inv.call("invoice.list", ["limit": 500])["items"]?.arrayValue ?? []
        #expect(invoices.count == made.value.count)
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func pauseAndResumeWithAndWithoutCatchingUp() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("recpause"))
        let customer = try inv.customer("Pauser")
        let utc = DateFormatter()
        utc.timeZone = TimeZone(identifier: "UTC")
        utc.dateFormat = "yyyy-MM-dd"
        let today = utc.string(from: Date())   // the tenant's time zone is UTC
        let catchUp = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-01-10"])
        let skip = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-01-10"])
        _ = try run(inv, "2026-01-10")
        for s in [catchUp, skip] {
            #expect(try inv.call("recurring.pause", ["id": s["id"]!])["status"] == "paused")
        }
        expectError(-32003, "id") { try inv.call("recurring.pause", ["id": catchUp["id"]!]) }
        #expect(try run(inv, "2026-04-20").isEmpty)
        // Resumed without skip_missed: the next run makes every missed period once.
        let resumed = try inv.call("recurring.resume", ["id": catchUp["id"]!])
        #expect(resumed["status"] == "active")
        #expect(resumed["next_date"] == "2026-02-10")
        // Resumed with skip_missed: the first period starting after today.
        let skipped = try inv.call("recurring.resume", ["id": skip["id"]!, "skip_missed": true])
        let nextDate = try #require(skipped["next_date"]?.stringValue)
        #expect(nextDate > today)
        #expect(nextDate.hasSuffix("-10"))
        let caught = try run(inv)
        let fromCatchUp = caught.filter { $0["schedule_id"] == catchUp["id"] }
        #expect(fromCatchUp.first?["period_start"] == "2026-02-10")
        #expect(fromCatchUp.count >= 3)
        #expect(caught.allSatisfy { $0["schedule_id"] == catchUp["id"] })
        expectError(-32003, "id") { try inv.call("recurring.resume", ["id": catchUp["id"]!]) }
        #expect(try inv.call("recurring.cancel", ["id": skip["id"]!])["status"] == "cancelled")
        expectError(-32003, "id") { try inv.call("recurring.resume", ["id": skip["id"]!]) }
        #expect(try inv.call("recurring.list", ["status": "cancelled"])["items"]?.arrayValue?.count == 1)
    }

    @Test func countAndEndDateCompleteTheSchedule() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("recend"))
        let customer = try inv.customer("Finite")
        let counted = try schedule(inv, customer: customer, ["interval": "weekly", "every": 2, "start_date": "2026-01-05", "count": 3])
        let ended = try schedule(inv, customer: customer, ["interval": "yearly", "start_date": "2020-02-29", "end_date": "2023-03-01"])
        let made = try run(inv, "2026-06-01")
        #expect(periods(made.filter { $0["schedule_id"] == counted["id"] }) ==
                ["2026-01-05..2026-01-18", "2026-01-19..2026-02-01", "2026-02-02..2026-02-15"])
        #expect(periods(made.filter { $0["schedule_id"] == ended["id"] }) ==
                ["2020-02-29..2021-02-27", "2021-02-28..2022-02-27", "2022-02-28..2023-02-27", "2023-02-28..2024-02-28"])
        for s in [counted, ended] {
            let got = try inv.call("recurring.get", ["id": s["id"]!])
            #expect(got["status"] == "completed")
            #expect(got["next_date"] == .null)
        }
        #expect(try run(inv, "2026-06-01").isEmpty)
        expectError(-32003, "id") { try inv.call("recurring.pause", ["id": counted["id"]!]) }
    }

    @Test func withoutAutoIssueDraftsAreMadeAndAutoSendQueuesMail() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("recdraft"))
        let customer = try inv.call("customer.create", ["name": "Mailbox", "email": "ap@mailbox.test"]).id
        let drafts = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-02-01", "auto_issue": false,
                                                           "notes": "Monthly hosting", "po_number": "PO-9"])
        #expect(drafts["auto_issue"] == false)
        let sent = try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-02-01", "auto_send": true])
        let made = try run(inv, "2026-03-05")
        let draftItems = made.filter { $0["schedule_id"] == drafts["id"] }
        #expect(draftItems.count == 2)
        for item in draftItems {
            let invoice = try inv.call("invoice.get", ["id": item["invoice_id"]!])
            #expect(invoice["status"] == "draft")
            #expect(invoice["number"] == .null)
            #expect(invoice["po_number"] == "PO-9")
            #expect(invoice["notes"] == "Monthly hosting")
            #expect(invoice["period_start"] == item["period_start"])
        }
        for item in made.filter({ $0["schedule_id"] == sent["id"] }) {
            #expect(item["number"]?.stringValue != nil)
            let queued = try inv.call("dispatch.list", ["invoice_id": item["invoice_id"]!])["items"]?.arrayValue ?? []
            #expect(queued.count == 1)
            #expect(queued.first?["recipient"] == "ap@mailbox.test")
        }
    }

    /// The first month is the next one when the anchor day falls before the start date; an
    /// item line without unit_price takes the item's price when each invoice is made; a
    /// schedule whose invoice cannot be made (archived customer, as_of before the series'
    /// latest issue date) is listed in `failed` and left unchanged while the others go on;
    /// raising `count` makes a completed schedule active again; a cancelled one never changes.
    @Test func failedSchedulesItemPricesAndRaisedLimits() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("recmore"))
        let customer = try inv.customer("Staying")
        let leaving = try inv.customer("Leaving")
        let item = try inv.call("item.create", ["sku": "HOST-1", "name": "Hosting plan", "unit_price": "20.00"])
        let priced = try inv.call("recurring.create", [
            "customer_id": JSON(customer), "interval": "monthly", "start_date": "2026-01-20", "day_of_month": 5, "count": 2,
            "lines": [["item_id": item["id"]!, "qty": "1"]]])
        #expect(priced["next_date"] == "2026-02-05")   // the 5th is before the 20th: February first
        let other = try schedule(inv, customer: leaving, ["interval": "monthly", "start_date": "2026-01-01"])
        let first = try run(inv, "2026-02-05")
        #expect(periods(first.filter { $0["schedule_id"] == priced["id"] }) == ["2026-02-05..2026-03-04"])
        #expect(periods(first.filter { $0["schedule_id"] == other["id"] }) == ["2026-01-01..2026-01-31", "2026-02-01..2026-02-28"])
        let firstPriced = try #require(first.first { $0["schedule_id"] == priced["id"] })
        #expect(try inv.call("invoice.get", ["id": firstPriced["invoice_id"]!])["total"] == "20.00")

        _ = try inv.call("item.update", ["id": item["id"]!, "unit_price": "25.00"])
        _ = try inv.call("customer.archive", ["id": JSON(leaving)])
        let second = try inv.call("recurring.run", ["as_of": "2026-03-05"])
        let made = second["generated"]?.arrayValue ?? []
        #expect(periods(made) == ["2026-03-05..2026-04-04"])
        #expect(made.allSatisfy { $0["schedule_id"] == priced["id"] })
        #expect(try inv.call("invoice.get", ["id": made[0]["invoice_id"]!])["total"] == "25.00")
        let failed = second["failed"]?.arrayValue ?? []
        #expect(failed.map { $0["schedule_id"] } == [other["id"]!])
        #expect(failed.first?["message"]?.stringValue?.contains("archived") == true, "\(failed)")
        let unchanged = try inv.call("recurring.get", ["id": other["id"]!])
        #expect(unchanged["status"] == "active")
        #expect(unchanged["next_date"] == "2026-03-01")
        #expect(unchanged["periods_generated"] == 2)
        #expect(unchanged["invoices"]?.arrayValue?.count == 2)

        // count 2 reached: completed; raising it makes the schedule active again.
        let completed = try inv.call("recurring.get", ["id": priced["id"]!])
        #expect(completed["status"] == "completed")
        #expect(completed["next_date"] == .null)
        let raised = try inv.call("recurring.update", ["id": priced["id"]!, "count": 3])
        #expect(raised["status"] == "active")
        #expect(raised["next_date"] == "2026-04-05")
        // An invoice dated 04-10 exists: a run as of 04-05 cannot date an invoice before it.
        _ = try inv.draft(customer: customer, [("One-off", "1", "5.00", nil)], extra: ["issue": true, "issue_date": "2026-04-10"])
        let early = try inv.call("recurring.run", ["as_of": "2026-04-05"])
        #expect(early["generated"] == .array([]))
        #expect(early["failed"]?.arrayValue?.map { $0["schedule_id"] }.contains(priced["id"]!) == true)
        #expect(try inv.call("recurring.get", ["id": priced["id"]!])["periods_generated"] == 2)
        let third = try inv.call("recurring.run", ["as_of": "2026-04-10"])
        let madeThird = (third["generated"]?.arrayValue ?? []).filter { $0["schedule_id"] == priced["id"] }
        #expect(periods(madeThird) == ["2026-04-05..2026-05-04"])
        #expect(try inv.call("invoice.get", ["id": madeThird[0]["invoice_id"]!])["issue_date"] == "2026-04-10")
        #expect(try inv.call("recurring.get", ["id": priced["id"]!])["status"] == "completed")

        // A cancelled schedule changes no more.
        #expect(try inv.call("recurring.cancel", ["id": other["id"]!])["status"] == "cancelled")
        expectError(-32003, "id") { try inv.call("recurring.update", ["id": other["id"]!, "count": 10]) }
        expectError(-32003, "id") { try inv.call("recurring.pause", ["id": other["id"]!]) }
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func badSchedulesAreRefusedAndTodayIsTheTenants() throws {
        // UTC+14: the tenant's today is often a day ahead of UTC's.
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("rectz", settings: ["timezone": "Pacific/Kiritimati"]))
        let customer = try inv.customer("East")
        expectError(-32602, "day_of_month") {
            try schedule(inv, customer: customer, ["interval": "weekly", "start_date": "2026-01-01", "day_of_month": 3])
        }
        expectError(-32602, "day_of_month") {
            try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-01-01", "day_of_month": 32])
        }
        expectError(-32602, "day_of_month") {
            try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-01-01", "day_of_month": "first"])
        }
        expectError(-32602, "interval") { try schedule(inv, customer: customer, ["interval": "daily", "start_date": "2026-01-01"]) }
        expectError(-32602, "end_date") {
            try schedule(inv, customer: customer, ["interval": "monthly", "start_date": "2026-02-01", "end_date": "2026-01-01"])
        }
        expectError(-32602, "as_of") { try inv.call("recurring.run", ["as_of": "2999-01-01"]) }
        expectError(-32002, "id") { try inv.call("recurring.get", ["id": 999_999]) }
        #expect(try inv.call("recurring.list")["items"] == .array([]))

        let localToday = try #require(try inv.draft(customer: customer, [("Now", "1", "1.00", nil)], extra: ["issue": true])["issue_date"]?.stringValue)
        let s = try schedule(inv, customer: customer, ["interval": "weekly", "start_date": .string(localToday)])
        let made = try run(inv)
        #expect(made.map { $0["period_start"] } == [.string(localToday)])
        #expect(try inv.call("invoice.get", ["id": made[0]["invoice_id"]!])["issue_date"] == .string(localToday))
        let updated = try inv.call("recurring.update", ["id": s["id"]!, "count": 5, "notes": "Weekly"])
        #expect(updated["count"] == 5)
        expectError(-32003, "interval") { try inv.call("recurring.update", ["id": s["id"]!, "interval": "monthly"]) }
    }
    @Test func theClientReachesEveryCollectionsCommand() throws {
        let tenant = try server.makeTenant("reccli")
        let inv = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try inv.customer("Cli Customer")
        let cli = CLI(socketPath: server.socketPath)
        func json(_ arguments: [String]) throws -> JSON {
            let result = try cli.run(["--tenant", tenant, "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return try JSONParser.parse(result.stdout)
        }
        let settings = try json(["settings", "collections", "--terms-text", "Net 30", "--grace-days", "5",
                                 "--level", "0::Overdue", "--level", "14:7.50:Second\\: pay now", "--interest", "9.5"])
        #expect(settings["payment_terms_text"] == "Net 30")
        #expect(settings["reminder_grace_days"] == 5)
        #expect(settings["late_interest_percent"] == "9.50")
        #expect(settings["reminder_levels"]?.arrayValue?.map { $0["fee"] } == [.null, "7.50"])
        #expect(settings["reminder_levels"]?.arrayValue?.last?["message"] == "Second: pay now")
        let shown = try cli.run(["--tenant", tenant, "settings", "collections"])
        #expect(shown.stdout.contains("Net 30") && shown.stdout.contains("Second: pay now"), "\(shown.stdout)")

        let created = try json(["recurring", "create", "--customer", "\(customer)", "--line", "Support:1:80.00",
                                "--interval", "monthly", "--start", "2026-01-31", "--day", "last", "--count", "12"])
        let id = try #require(created["id"]?.int64Value)
        #expect(created["day_of_month"] == "last")
        let ran = try json(["recurring", "run", "--as-of", "2026-03-01"])
        #expect(ran["generated"]?.arrayValue?.map { $0["period_start"] } == ["2026-01-31", "2026-02-28"])
        let table = try cli.run(["--tenant", tenant, "recurring", "show", "\(id)"])
        #expect(table.stdout.contains("2026-02-28") && table.stdout.contains("INV-000002"), "\(table.stdout)")
        #expect(try cli.run(["--tenant", tenant, "recurring", "list"]).stdout.contains("Cli Customer"))
        #expect(try json(["recurring", "pause", "\(id)"])["status"] == "paused")
        #expect(try json(["recurring", "resume", "\(id)", "--skip-missed"])["status"] != "paused")
        #expect(try json(["recurring", "cancel", "\(id)"])["status"] == "cancelled")
        let reminded = try json(["reminder", "run", "--as-of", "2026-04-15"])
        #expect(reminded["created"]?.arrayValue?.count == 2)
        let human = try cli.run(["--tenant", tenant, "reminder", "run"])
        #expect(human.status == 0 && human.stdout.contains("not due"), "\(human.stdout)")
        #expect(try json(["scheduler", "list"])["items"] == .array([]))
        #expect(try cli.run(["--tenant", tenant, "scheduler", "list"]).stdout.contains("no runs"))
    }
}
