/// An XML namespace: the prefix written in the document and its URI.
public struct XMLNamespace: Sendable, Hashable {
    public let prefix: String
    public let uri: String

    public init(prefix: String, uri: String) {
        self.prefix = prefix
        self.uri = uri
    }

    /// A qualified element or attribute name in this namespace.
    public func callAsFunction(_ local: String) -> XMLName { XMLName(namespace: self, local: local) }
}

/// A namespace-qualified name such as `cbc:ID`.
public struct XMLName: Sendable, Hashable {
    public let namespace: XMLNamespace?
    public let local: String

    var qualified: String {
        guard let namespace, !namespace.prefix.isEmpty else { return local }
        return namespace.prefix + ":" + local
    }
}

/// A streaming XML 1.0 writer: every text and attribute value is escaped (and characters
/// XML cannot carry are dropped), every namespace used is declared (on the root, or on the
/// first element that needs one not yet in scope), and elements always close in order.
public struct XMLWriter: Sendable {
    private var output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    private var open: [(name: String, declared: [XMLNamespace])] = []
    private var rootNamespaces: [XMLNamespace]

    /// `namespaces` are declared on the root element (the first one opened).
    public init(namespaces: [XMLNamespace]) {
        rootNamespaces = namespaces
    }

    /// The document as UTF-8; every element must have been closed.
    public var bytes: [UInt8] {
        precondition(open.isEmpty, "unclosed element \(open.last?.name ?? "")")
        return Array(output.utf8)
    }

    /// Opens an element (children follow until `end()`).
    public mutating func start(_ name: XMLName, _ attributes: [(XMLName, String)] = []) {
        output += "<" + name.qualified
        var declared: [XMLNamespace] = []
        if open.isEmpty {
            declared = rootNamespaces
        }
        for namespace in ([name.namespace] + attributes.map(\.0.namespace)).compactMap({ $0 })
        where !inScope(namespace) && !declared.contains(namespace) {
            declared.append(namespace)
        }
        for namespace in declared {
            let attribute = namespace.prefix.isEmpty ? "xmlns" : "xmlns:" + namespace.prefix
            output += " " + attribute + "=\"" + Self.escape(namespace.uri, attribute: true) + "\""
        }
        for (attribute, value) in attributes {
            output += " " + attribute.qualified + "=\"" + Self.escape(value, attribute: true) + "\""
        }
        output += ">"
        open.append((name.qualified, declared))
    }

    /// Closes the innermost open element.
    public mutating func end() {
        let element = open.removeLast()
        output += "</" + element.name + ">"
    }

    /// An element holding `text`; nothing at all when `text` is nil.
    public mutating func element(_ name: XMLName, _ text: String?, _ attributes: [(XMLName, String)] = []) {
        guard let text else { return }
        start(name, attributes)
        output += Self.escape(text, attribute: false)
        end()
    }

    /// An element whose children `body` writes.
    public mutating func element(_ name: XMLName, _ attributes: [(XMLName, String)] = [], _ body: (inout XMLWriter) -> Void) {
        start(name, attributes)
        body(&self)
        end()
    }

    private func inScope(_ namespace: XMLNamespace) -> Bool {
        open.contains { $0.declared.contains(namespace) }
    }

    /// Escapes markup characters; drops characters XML 1.0 cannot represent.
    static func escape(_ text: String, attribute: Bool) -> String {
        // Most values (numbers, codes, dates, names) need nothing: one pass over the bytes.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0xEF }) {
            return text
        }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"" where attribute: result += "&quot;"
            case "\n" where attribute: result += "&#10;"
            case "\r": result += "&#13;"
            case "\t" where attribute: result += "&#9;"
            case "\t", "\n": result.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v >= 0x20 && !(0xFFFE...0xFFFF).contains(v) {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
