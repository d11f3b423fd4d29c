@testable import FolioServer
import FolioWire
import NIOCore
import NIOEmbedded
import Testing

/// The frame decoder on an embedded channel: splitting, reassembly, the size limit and
/// the deadline for a frame's last byte.
@Suite struct FrameDecoderTests {
    static func channel(maximumBytes: Int = 64, deadline: TimeAmount = .seconds(10)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(FrameDecoder(maximumBytes: maximumBytes, deadline: deadline))
        return channel
    }

    static func frame(_ text: String) -> [UInt8] {
        let body = Array(text.utf8)
        return withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + body
    }

    static func write(_ channel: EmbeddedChannel, _ bytes: [UInt8]) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    }

    /// Every frame delivered so far, as text ("<empty>", "<oversize N>", "<deadline>").
    static func delivered(_ channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let frame = try channel.readInbound(as: InboundFrame.self) {
            switch frame {
            case .payload(let buffer): out.append(String(buffer: buffer))
            case .empty: out.append("<empty>")
            case .oversize(let announced): out.append("<oversize \(announced)>")
            case .deadlineExceeded: out.append("<deadline>")
            }
        }
        return out
    }

    @Test func severalFramesInOneReadComeOutInOrder() throws {
        let channel = try Self.channel()
        try Self.write(channel, Self.frame("one") + Self.frame("") + Self.frame("three"))
        #expect(try Self.delivered(channel) == ["one", "<empty>", "three"])
    }

    @Test func aFrameSplitIntoSingleBytesIsReassembled() throws {
        let channel = try Self.channel()
        let bytes = Self.frame(#"{"jsonrpc":"2.0"}"#) + Self.frame("next")
        for byte in bytes.dropLast() {
            try Self.write(channel, [byte])
        }
        #expect(try Self.delivered(channel) == [#"{"jsonrpc":"2.0"}"#])
        try Self.write(channel, [bytes.last!])
        #expect(try Self.delivered(channel) == ["next"])
    }

    @Test func anOversizeHeaderIsReportedAtOnceAndNothingAfterIt() throws {
        let channel = try Self.channel(maximumBytes: 8)
        try Self.write(channel, Self.frame("ok") + withUnsafeBytes(of: UInt32(9).bigEndian, Array.init))
        #expect(try Self.delivered(channel) == ["ok", "<oversize 9>"])
        try Self.write(channel, Self.frame("late"))
        #expect(try Self.delivered(channel).isEmpty)
    }

    @Test func anIncompleteFrameMissesItsDeadline() throws {
        let channel = try Self.channel(deadline: .seconds(5))
        try Self.write(channel, Array(Self.frame("slow").prefix(6)))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(try Self.delivered(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try Self.delivered(channel) == ["<deadline>"])
    }

    @Test func aCompletedFrameCancelsItsDeadline() throws {
        let channel = try Self.channel(deadline: .seconds(5))
        let bytes = Self.frame("in time")
        try Self.write(channel, Array(bytes.prefix(5)))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        try Self.write(channel, Array(bytes.dropFirst(5)))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try Self.delivered(channel) == ["in time"])
    }
}
