import FolioWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server on loopback (Python's aiosmtpd, Debian `python3-aiosmtpd`) that
/// saves every message it accepts as `<folder>/<n>.eml` (envelope recipients in
/// `<n>.eml.rcpt`). It can be stopped and started again on the same port.
final class SMTPSink {
    let folder: String
    private(set) var port: Int = 0
    private var pid: pid_t = 0
    private let scriptPath: String
    let python: String

    static let script = """
        import os, socket, sys, time
        from aiosmtpd.controller import Controller

        folder, port = sys.argv[1], int(sys.argv[2])
        if port == 0:
            s = socket.socket()
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
            s.close()

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                name = os.path.join(folder, '%d.eml' % time.time_ns())
                with open(name + '.rcpt', 'w') as f:
                    f.write('\\n'.join(envelope.rcpt_tos))
                with open(name + '.tmp', 'wb') as f:
                    f.write(envelope.original_content or envelope.content)
                os.rename(name + '.tmp', name)
                return '250 Message accepted'

        controller = Controller(Handler(), hostname='127.0.0.1', port=port)
        controller.start()
        with open(os.path.join(folder, 'port.tmp'), 'w') as f:
            f.write(str(port))
        os.rename(os.path.join(folder, 'port.tmp'), os.path.join(folder, 'port'))
        while True:
            time.sleep(3600)
        """

    /// A Python interpreter that has aiosmtpd (Debian's, else the first on PATH).
    static func findPython() throws -> String {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? ProcessRunner.run(candidate, ["-c", "import aiosmtpd"]))?.status == 0 { return candidate }
        }
        let found = try ProcessRunner.run("/bin/sh", ["-c", "command -v python3"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if !found.isEmpty, (try? ProcessRunner.run(found, ["-c", "import aiosmtpd"]))?.status == 0 { return found }
        throw TestFailure("no python3 with aiosmtpd (apt-get install -y python3-aiosmtpd)")
    }

    init() throws {
        let directory = TestEnvironment.scratchDirectory()
        folder = directory + "/mail"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        scriptPath = directory + "/smtp_sink.py"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        python = try Self.findPython()
        try start()
    }

    deinit { stop() }

    /// Starts the server (on its previous port after a stop) and waits until it listens.
    func start() throws {
        let portFile = folder + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        pid = try ProcessRunner.start([python, scriptPath, folder, String(port)], logPath: folder + "/../smtp.log")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text) {
                port = p
                return
            }
            usleep(50_000)
        }
        throw TestFailure("the SMTP server did not start: \((try? String(contentsOfFile: folder + "/../smtp.log", encoding: .utf8)) ?? "")")
    }

    /// Stops the server (the port is free afterwards).
    func stop() {
        guard pid != 0 else { return }
        kill(pid, SIGKILL)
        _ = ProcessRunner.wait(pid)
        pid = 0
    }

    /// The saved messages, oldest first.
    func messages() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.sorted().map { folder + "/" + $0 }
    }

    /// Waits until at least `count` messages arrived.
    func waitForMessages(_ count: Int, timeout: TimeInterval = 30) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = messages()
            if found.count >= count { return found }
            usleep(100_000)
        }
        return messages()
    }

    static let parser = """
        import json, sys
        from email import policy
        from email.parser import BytesParser

        with open(sys.argv[1], 'rb') as f:
            raw = f.read()
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        def tree(p):
            return {'type': p.get_content_type(),
                    'parts': [tree(x) for x in p.iter_parts()] if p.is_multipart() else []}
        attachments = list(msg.iter_attachments())
        if attachments:
            with open(sys.argv[2], 'wb') as f:
                f.write(attachments[0].get_content())
        headers = raw.split(b'\\r\\n\\r\\n', 1)[0].decode('ascii')
        print(json.dumps({
            'subject': str(msg['subject']), 'to': str(msg['to']), 'from': str(msg['from']),
            'message_id': str(msg['message-id']), 'date_ok': msg['date'].datetime is not None,
            'mime_version': str(msg['mime-version']), 'tree': tree(msg),
            'text': msg.get_body(('plain',)).get_content(), 'html': msg.get_body(('html',)).get_content(),
            'attachments': [{'filename': a.get_filename(), 'type': a.get_content_type()} for a in attachments],
            'raw_headers': headers,
            'defects': [str(d) for d in msg.defects],
        }))
        """

    /// Parses a saved message with Python's email module; the first attachment is written
    /// to `attachmentPath`.
    func parse(_ path: String, attachmentPath: String) throws -> JSON {
        let script = folder + "/../parse_mail.py"
        if !FileManager.default.fileExists(atPath: script) {
            try Self.parser.write(toFile: script, atomically: true, encoding: .utf8)
        }
        let result = try ProcessRunner.run(python, [script, path, attachmentPath])
        guard result.status == 0 else { throw TestFailure("parsing \(path) failed: \(result.stderr)") }
        return try JSONParser.parse(result.stdout)
    }

    /// The envelope recipients of a saved message.
    func envelopeRecipients(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path + ".rcpt", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
