import FolioRender
import FolioWire

extension Branding {
    /// The tenant's branding as its `branding_for_render()` SQL function returns it.
    init(json: JSON) {
        self.init(accentColor: json["accent_color"]?.stringValue, footer: json["footer"]?.stringValue,
                  logoPNG: json["logo_png_base64"]?.stringValue.flatMap(Base64.decode),
                  htmlTemplate: json["html_template"]?.stringValue)
    }
}
