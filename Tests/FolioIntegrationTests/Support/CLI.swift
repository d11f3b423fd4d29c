import FolioWire
import Foundation

/// Runs the real `folio` binary against a server, optionally as another uid.
struct CLI {
    let socketPath: String
    var uid: UInt32?

    func run(_ arguments: [String], stdin: String? = nil) throws -> CommandResult {
        try ProcessRunner.run(TestEnvironment.folio, ["--socket", socketPath] + arguments, uid: uid, stdin: stdin)
    }

    /// `folio call METHOD PARAMS` printing JSON: the parsed result, or the server's error.
    func call(_ method: String, _ params: JSONObject = [:]) throws -> Result<JSON, RPCError> {
        let result = try run(["call", method, JSONWriter.string(.object(params)), "--json"])
        if result.status == 0 {
            return .success(try JSONParser.parse(result.stdout))
        }
        // Errors are reported on stderr as "folio: error <code> ...".
        guard let range = result.stderr.range(of: #"error -?\d+"#, options: .regularExpression),
              let code = Int(result.stderr[range].dropFirst(6))
        else { throw TestFailure("folio failed without an error code: \(result.stderr)") }
        return .failure(RPCError(code: code, message: result.stderr))
    }
}
