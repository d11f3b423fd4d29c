import FolioDomain
import FolioPostgres
@testable import FolioServer
import FolioWire
import Foundation
import NIOCore
import NIOEmbedded
import Testing

/// A seeded mutation fuzzer over everything a request meets before the database: the
/// frame decoder (byte streams cut at random points), the JSON parser, the JSON-RPC
/// envelope and batches, and the method catalog's parameter checks (`Dispatcher.check`).
/// It starts from the corpus in `Tests/FuzzCorpus` and keeps every input that reaches an
/// outcome not seen before (which stage refused it, with which code, field and reason):
/// coverage by outcome, cheaper than instrumentation. Invariants: no crash or trap, no
/// frame above the limit, nothing decoded after an oversize header, every parsed value
/// survives a write and re-parse, every refusal is a JSON-RPC error code.
///
/// `FOLIO_FUZZ_INPUTS` (default 60,000: about half a minute in a debug build) and
/// `FOLIO_FUZZ_SEED` (default: random, printed) choose the run.
@Suite struct RequestPathFuzzTests {
    static let maximumFrame = 4096

    @Test func requestPathSurvivesMutatedInput() throws {
        let environment = ProcessInfo.processInfo.environment
        let inputs = environment["FOLIO_FUZZ_INPUTS"].flatMap(Int.init) ?? 60_000
        let seed = environment["FOLIO_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        var random = SplitMix64(seed: seed)
        var corpus = try Self.loadCorpus()
        let seeds = corpus.count
        var outcomes: Set<String> = []
        let caller = Caller(uid: 1000, isAdmin: false, client: PoolClient(uid: 1000))
        let started = Date()
        for _ in 0..<inputs {
            let payload = Mutator.mutate(corpus, &random)
            let stream = Mutator.frame(payload, &random)
            let outcome = try Self.run(stream, chunks: Mutator.cuts(stream.count, &random), caller: caller)
            if outcomes.insert(outcome).inserted, corpus.count < 5000 { corpus.append(payload) }
        }
        let seconds = Date().timeIntervalSince(started)
        print("fuzz: \(inputs) inputs in \(Int(seconds)) s (\(Int(Double(inputs) / max(seconds, 0.001)))/s), seed \(seed), "
              + "\(outcomes.count) distinct outcomes, corpus \(seeds) -> \(corpus.count)")
        #expect(outcomes.count > 20, "the mutations reach too few outcomes to mean anything")
    }

    static func loadCorpus() throws -> [[UInt8]] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("FuzzCorpus")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let corpus = try files.map { Array(try Data(contentsOf: directory.appendingPathComponent($0))) }
        #expect(!corpus.isEmpty)
        return corpus
    }

    /// Feeds `stream` to a frame decoder in `chunks`, then each frame down the request path.
    /// Returns a short description of how far the frames got.
    static func run(_ stream: [UInt8], chunks: [Int], caller: Caller) throws -> String {
        let collector = Collector()
        let channel = EmbeddedChannel(handlers: [FrameDecoder(maximumBytes: maximumFrame, deadline: .seconds(10)), collector])
        var offset = 0
        for size in chunks where !collector.sawOversize {
            var buffer = channel.allocator.buffer(capacity: size)
            buffer.writeBytes(stream[offset..<offset + size])
            offset += size
            try channel.writeInbound(buffer)
        }
        _ = try? channel.finish()
        var outcome: [String] = []
        for frame in collector.frames {
            switch frame {
            case .payload(let buffer):
                #expect(buffer.readableBytes <= maximumFrame)
                outcome.append(request(Array(buffer.readableBytesView), caller: caller))
            case .empty: outcome.append("empty")
            case .oversize: outcome.append("oversize")
            case .deadlineExceeded: outcome.append("deadline")
            }
        }
        return outcome.prefix(4).joined(separator: "|")
    }

    /// The connection handler's path for one payload, up to the database.
    static func request(_ payload: [UInt8], caller: Caller) -> String {
        let json: JSON
        do {
            json = try JSONParser.parse(payload)
        } catch {
            return "parse"
        }
        let again = try? JSONParser.parse(JSONWriter.bytes(json))
        #expect(again == json, "the JSON writer and parser disagree on \(String(decoding: payload, as: UTF8.self))")
        guard case .array(let elements) = json else { return element(json, caller: caller) }
        return "batch[" + elements.prefix(3).map { element($0, caller: caller) }.joined(separator: ",") + "]"
    }

    static func element(_ json: JSON, caller: Caller) -> String {
        switch RPCRequest.validate(json) {
        case .failure(let failure):
            return "envelope \(failure.error.code)"
        case .success(let request):
            do {
                let spec = try Dispatcher.check(request, caller: caller)
                return "ok \(spec.name)"
            } catch let error as RPCError {
                #expect((-32700 ... -32000).contains(error.code))
                return "\(request.method) \(error.code) \(error.field ?? "")"
            } catch {
                Issue.record("not an RPC error: \(error)")
                return "?"
            }
        }
    }
}

/// Collects what the frame decoder delivers.
private final class Collector: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    var frames: [InboundFrame] = []
    var sawOversize = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        #expect(!sawOversize, "a frame was decoded after an oversize header")
        if case .oversize = frame { sawOversize = true }
        frames.append(frame)
    }
}

/// Deterministic pseudo-random numbers (a run is repeated from its printed seed).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Byte- and JSON-level mutations of corpus entries, and framings of the result.
enum Mutator {
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "-0", "1e999", "0.1",
        "\"jsonrpc\":\"2.0\"", "\"id\":", "\"method\":", "\"params\":", "\"tenant\":\"acme\"", "\"lines\":[",
        "{{#lines}}", "{{/lines}}", "{{>x}}", "\n", "\u{7F}", "\u{FEFF}", "\u{10FFFF}", "9223372036854775808",
        "\"system.ping\"", "\"invoice.create\"", "\"branding.update\"", "\"html_template\":", "\"phone\":",
    ].map { Array($0.utf8) }

    static func mutate(_ corpus: [[UInt8]], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = corpus[Int(random.next() % UInt64(corpus.count))]
        let rounds = 1 + Int(random.next() % 4)
        for _ in 0..<rounds {
            let at = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
            switch random.next() % 7 {
            case 0 where !bytes.isEmpty: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 1 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 8)))
            case 2: bytes.insert(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))], at: at)
            case 3:
                let other = corpus[Int(random.next() % UInt64(corpus.count))]
                let from = other.isEmpty ? 0 : Int(random.next() % UInt64(other.count))
                bytes.insert(contentsOf: other[from..<min(other.count, from + Int(random.next() % 64))], at: at)
            case 4 where !bytes.isEmpty: bytes[at] ^= 1 << UInt8(random.next() % 8)
            case 5 where bytes.count < 2000:
                bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int(random.next() % 32))], at: at)
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    /// The payload framed, sometimes with a second frame, a lying length, or a zero or huge header.
    static func frame(_ payload: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var length = UInt32(payload.count)
        switch random.next() % 10 {
        case 0: length = 0
        case 1: length = UInt32(truncatingIfNeeded: random.next())
        case 2: length = length &+ UInt32(random.next() % 3) &- 1
        default: break
        }
        var stream = withUnsafeBytes(of: length.bigEndian) { Array($0) } + payload
        if random.next() % 4 == 0 { stream += stream }
        return stream
    }

    /// Chunk sizes summing to `count`: the ways the bytes could arrive from the socket.
    static func cuts(_ count: Int, _ random: inout SplitMix64) -> [Int] {
        var sizes: [Int] = []
        var left = count
        while left > 0 {
            let size = random.next() % 3 == 0 ? left : 1 + Int(random.next() % UInt64(left))
            sizes.append(size)
            left -= size
        }
        return sizes
    }
}
