import ArgumentParser
import FolioWire

/// `folio branding show|set`: the logo, accent colour, footer and HTML template of the tenant's documents.
struct BrandingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branding", abstract: "Show or change how the tenant's documents look.",
        subcommands: [Show.self, Set.self])

    static let fields = ["accent_color", "footer", "has_logo", "logo_bytes", "updated_at"]

    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show the branding.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions

        func run(in session: Session) throws {
            session.show(try session.callInTenant("branding.get"), leading: fields)
        }
    }

    /// Given options change; an empty value clears one.
    struct Set: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the branding (owners).", discussion: "An empty value (e.g. --footer \"\") clears a setting.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("A PNG file for the logo ('' removes it).", valueName: "file")) var logo: String?
        @Option(help: ArgumentHelp("Accent colour, #RRGGBB.", valueName: "colour")) var accentColor: String?
        @Option(help: ArgumentHelp("Footer text on every page.", valueName: "text")) var footer: String?
        @Option(help: ArgumentHelp("A Mustache file replacing the HTML template ('' restores the built-in one).", valueName: "file"))
        var template: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            if let logo { params["logo_png_base64"] = logo.isEmpty ? .null : .string(Base64.encode(try Platform.readFile(logo))) }
            if let template {
                params["html_template"] = template.isEmpty ? .null : .string(String(decoding: try Platform.readFile(template), as: UTF8.self))
            }
            if let accentColor { params["accent_color"] = accentColor.isEmpty ? .null : .string(accentColor) }
            if let footer { params["footer"] = footer.isEmpty ? .null : .string(footer) }
            session.show(try session.callInTenant("branding.update", params, idempotency: idempotency), leading: fields)
        }
    }
}
