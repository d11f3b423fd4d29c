@testable import FolioServer
import FolioPostgres
import FolioWire
import Logging
import Testing

/// Database failures become the contract's errors: Folio's own SQLSTATEs with their
/// field, retryable busy and unavailable errors, and an opaque internal error otherwise.
@Suite struct ErrorTranslationTests {
    let errors = ErrorTranslation(logger: Logger(label: "test"))

    func translated(_ state: String?, _ message: String = "m", detail: String? = nil, kind: PostgresError.Kind = .statement) -> RPCError {
        errors.rpcError(PostgresError(kind: kind, sqlState: state, message: message, detail: detail), method: "x.y")
    }

    @Test func folioStatesKeepTheirMessageAndField() {
        let notFound = translated("FL002", "customer 9 not found", detail: "customer_id")
        #expect(notFound.code == ErrorCode.notFound)
        #expect(notFound.message == "customer 9 not found")
        #expect(notFound.data["field"] == "customer_id")
        #expect(translated("FL003", detail: "lines[2].qty").code == ErrorCode.conflict)
        let invalid = translated("FL602", "bad", detail: "")
        #expect(invalid.code == ErrorCode.invalidParams)
        #expect(invalid.data["field"] == "params")
        #expect(translated("FL001").code == ErrorCode.forbidden)
        #expect(translated("FL004").data["field"] == "idempotency_key")
    }

    @Test(arguments: ["55P03", "57014", "40001", "40P01"])
    func lockAndSerializationFailuresAreRetryable(state: String) {
        let error = translated(state)
        #expect(error.code == ErrorCode.busy)
        #expect(error.data["retryable"] == true)
    }

    @Test func aLostConnectionIsUnavailableAndRetryable() {
        for error in [translated(nil, kind: .connection), translated("57P03"), translated("53300")] {
            #expect(error.code == ErrorCode.databaseUnavailable)
            #expect(error.data["retryable"] == true)
        }
    }

    @Test func anythingElseIsAnInternalErrorWithoutTheDatabaseText() {
        let error = translated("42P01", "relation \"secret_table\" does not exist")
        #expect(error.code == ErrorCode.internalError)
        #expect(!"\(error.message) \(error.data)".contains("secret_table"))
    }
}
