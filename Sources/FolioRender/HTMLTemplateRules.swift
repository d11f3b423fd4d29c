import Mustache

/// What a tenant's HTML template may be, checked when it is stored (`branding.update`)
/// and again before it renders: valid mustache, no partials, inheritance or delimiter
/// changes (there is nothing to include, and the check reads `{{ }}` tags), and no
/// section over a list inside another section over a list, so rendering costs at most
/// the template's size times the longest list (a nested `{{#lines}}` would multiply).
/// The rendered document is limited to `maximumOutputBytes` as well.
public enum HTMLTemplateRules {
    /// The lists a template can iterate (see `HTMLTemplate`).
    static let lists: Set<String> = ["lines", "facts", "totals", "terms", "address_lines", "shipping_lines"]
    /// Largest rendered HTML document.
    public static let maximumOutputBytes = 8 << 20

    /// Parses `template`; throws `RenderError.invalidTemplate` with the reason.
    public static func parse(_ template: String) throws(RenderError) -> MustacheTemplate {
        let parsed: MustacheTemplate
        do {
            parsed = try MustacheTemplate(string: template)
        } catch let error as MustacheTemplate.ParserError {
            throw .invalidTemplate("\(error.error) at line \(error.context.lineNumber), column \(error.context.columnNumber)")
        } catch {
            throw .invalidTemplate(String(describing: error))
        }
        try checkTags(template)
        return parsed
    }

    /// Walks the `{{...}}` tags: refuses the kinds above and list sections within list sections.
    private static func checkTags(_ template: String) throws(RenderError) {
        var openSections: [(name: String, isList: Bool)] = []
        var rest = Substring(template)
        var line = 1
        while let open = rest.range(of: "{{") {
            line += rest[..<open.lowerBound].count(where: { $0 == "\n" })
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else { return }
            let tag = afterOpen[..<close.lowerBound]
            rest = afterOpen[close.upperBound...]
            line += tag.count(where: { $0 == "\n" })
            guard let kind = tag.first else { continue }
            let name = sectionName(tag.dropFirst())
            switch kind {
            case ">", "<", "$":
                throw .invalidTemplate("partials and inheritance ({{\(kind)...}}) are not supported (line \(line))")
            case "=":
                throw .invalidTemplate("changing the delimiters ({{=...=}}) is not supported (line \(line))")
            case "#", "^":
                let isList = kind == "#" && lists.contains(name.split(separator: ".").last.map(String.init) ?? name)
                if isList, let outer = openSections.last(where: \.isList) {
                    throw .invalidTemplate(
                        "the list section {{#\(name)}} must not be inside the list section {{#\(outer.name)}} (line \(line))")
                }
                openSections.append((name, isList))
            case "/":
                if !openSections.isEmpty { openSections.removeLast() }
            default:
                continue
            }
        }
    }

    /// A section tag's name without whitespace and transforms: `reversed(lines)` is `lines`.
    private static func sectionName(_ tag: Substring) -> String {
        var name = tag.trimmingWhitespace()
        while let open = name.lastIndex(of: "("), let close = name.firstIndex(of: ")"), open < close {
            name = name[name.index(after: open)..<close]
        }
        return String(name.trimmingWhitespace())
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return s
    }
}
