/// A notification (`NOTIFY channel, 'payload'`) received by a connection that LISTENs.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}
