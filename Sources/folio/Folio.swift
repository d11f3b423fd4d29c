import ArgumentParser
import FolioClient

@main
struct Folio: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "folio", abstract: "Folio command-line client.")
    func run() throws {}
}
