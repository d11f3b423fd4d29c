// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Folio",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "foliod", targets: ["foliod"]),
        .executable(name: "folio", targets: ["folio"]),
        .executable(name: "folio-bench", targets: ["folio-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // C: libpq, Debian's libpq-dev.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // C: socket peer credentials (struct ucred is hidden from Swift's Glibc).
        .target(name: "CFolioSocket"),

        // Wire protocol: JSON, frames, JSON-RPC envelope, error codes. No dependencies.
        .target(name: "FolioWire"),
        // Database access: a safe libpq wrapper and a connection pool.
        .target(name: "FolioPostgres", dependencies: [
            "CLibPQ",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Domain: money, the method catalog with roles and parameter rules.
        .target(name: "FolioDomain", dependencies: ["FolioWire"]),
        // E-mail: MIME messages and the sendmail-interface mailer. No server, no NIO.
        .target(name: "FolioMail", dependencies: ["FolioWire"]),
        // Server: socket listener, RPC dispatch, server methods, jobs, migrations.
        // E-invoices: EN 16931 UBL 2.1 and CII D16B from the JSON results, with a small XML writer.
        .target(name: "FolioEInvoice", dependencies: ["FolioWire", "FolioDomain"]),
        .target(name: "FolioServer", dependencies: [
            "FolioWire", "FolioDomain", "FolioPostgres", "FolioRender", "FolioMail", "FolioEInvoice", "CFolioSocket",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // C: Cairo and Pango (PDF rendering), Debian's libpango1.0-dev and libcairo2-dev.
        .systemLibrary(name: "CPangoCairo", pkgConfig: "pangocairo",
                       providers: [.apt(["libpango1.0-dev", "libcairo2-dev"])]),
        // Text for people, shared by the documents and the client: display widths, JSON values
        // and postal addresses as text.
        .target(name: "FolioText", dependencies: ["FolioWire"]),
        // Documents: invoices and credit notes as PDF, HTML and plain text. No NIO, no server.
        .target(name: "FolioRender", dependencies: [
            "FolioWire", "FolioText", "CPangoCairo",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        // Client library: blocking socket client used by `folio`, benchmarks and tests.
        .target(name: "FolioClient", dependencies: ["FolioWire"]),

        .executableTarget(name: "foliod", dependencies: [
            "FolioServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The command-line client: commands, input parsing and output tables, as a library
        // so that its parsers and presentation are unit-tested; `folio` only runs it.
        .target(name: "FolioCLI", dependencies: [
            "FolioClient", "FolioWire", "FolioDomain", "FolioText",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "folio", dependencies: ["FolioCLI"]),

        // Load generator for the README's speed figures.
        .executableTarget(name: "folio-bench", dependencies: [
            "FolioClient", "FolioWire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),

        .testTarget(name: "FolioWireTests", dependencies: ["FolioWire"]),
        .testTarget(name: "FolioDomainTests", dependencies: ["FolioDomain"]),
        // Helpers shared by the test targets (reading PDFs back with poppler-utils).
        .target(name: "FolioTestSupport", path: "Tests/Support"),
        .testTarget(name: "FolioRenderTests", dependencies: ["FolioRender", "FolioWire", "FolioTestSupport"]),
        .testTarget(name: "FolioMailTests", dependencies: ["FolioMail"]),
        .testTarget(name: "FolioCLITests", dependencies: ["FolioCLI", "FolioWire", "FolioText"]),
        .testTarget(name: "FolioServerTests", dependencies: [
            "FolioServer", "FolioPostgres", "FolioWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "FolioEInvoiceTests", dependencies: ["FolioEInvoice", "FolioWire"]),
        // Seeded mutation fuzzer of the request path up to the database (corpus: Tests/FuzzCorpus).
        .testTarget(name: "FolioFuzzTests", dependencies: [
            "FolioServer", "FolioWire", "FolioDomain", "FolioPostgres",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "FolioIntegrationTests", dependencies: [
            "FolioClient", "FolioWire", "FolioDomain", "FolioPostgres", "FolioTestSupport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
    ]
)
