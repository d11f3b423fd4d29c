import FolioMail
import Foundation
import Testing

/// The sendmail-interface mailer: command splitting, and a real child process.
@Suite struct MailerTests {
    @Test(arguments: [
        ("/usr/sbin/sendmail -t -i", ["/usr/sbin/sendmail", "-t", "-i"]),
        ("msmtp -C '/etc/my conf' --from=\"a b\"", ["msmtp", "-C", "/etc/my conf", "--from=a b"]),
        ("a\\ b  c", ["a b", "c"]),
        ("say \"quote \\\" inside\" ''", ["say", "quote \" inside", ""]),
        ("", []),
    ])
    func splitsLikeAShell(command: String, words: [String]) {
        #expect(Mailer.split(command) == words)
    }

    @Test func handsTheMessageToTheCommandOnStdin() throws {
        let path = NSTemporaryDirectory() + "folio-mailer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let message = Array("Subject: hi\r\n\r\nbody\r\n".utf8) + [UInt8](repeating: 65, count: 200_000)
        try Mailer(command: "/bin/sh -c 'cat > \(path)'").send(message)
        #expect(FileManager.default.contents(atPath: path).map(Array.init) == message)
    }

    @Test func aFailingCommandIsAnErrorWithItsOutput() {
        #expect {
            try Mailer(command: "/bin/sh -c 'echo relay refused >&2; exit 75'").send(Array("x".utf8))
        } throws: { error in
            let text = "\(error)"
            return text.contains("relay refused") && text.contains("75")
        }
        #expect(throws: MailerError.self) { try Mailer(command: "/nonexistent/sendmail").send([]) }
        #expect(throws: MailerError.self) { try Mailer(command: "").send([]) }
    }

    @Test func aHangingCommandIsKilledAtTheTimeout() {
        let start = Date()
        #expect(throws: MailerError.self) { try Mailer(command: "/bin/sleep 30", timeoutSeconds: 1).send([]) }
        #expect(Date().timeIntervalSince(start) < 20)
    }
}
