@testable import FolioEInvoice
import Testing

/// The XML writer escapes what must be escaped, drops what XML cannot carry, and declares
/// each namespace once.
struct XMLWriterTests {
    let a = XMLNamespace(prefix: "a", uri: "urn:a")
    let b = XMLNamespace(prefix: "b", uri: "urn:b?x=1&y=\"2\"")

    @Test func escapesTextAndAttributes() {
        var w = XMLWriter(namespaces: [a])
        w.element(a("root")) { w in
            w.element(a("t"), "Fish & <Chips> \"quoted\" 'single'\u{1}\u{7}end", [(XMLName(namespace: nil, local: "v"), "x\"<&>\ny")])
        }
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a:root xmlns:a=\"urn:a\">"
                + "<a:t v=\"x&quot;&lt;&amp;&gt;&#10;y\">Fish &amp; &lt;Chips&gt; \"quoted\" 'single'end</a:t></a:root>")
    }

    @Test func declaresUndeclaredNamespacesWhereFirstUsed() {
        var w = XMLWriter(namespaces: [a])
        w.element(a("root")) { w in
            w.element(b("x")) { w in w.element(b("y"), "1") }
            w.element(b("z"), nil)
            w.element(a("n"), "")
        }
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text.hasSuffix("<a:root xmlns:a=\"urn:a\"><b:x xmlns:b=\"urn:b?x=1&amp;y=&quot;2&quot;\"><b:y>1</b:y></b:x><a:n></a:n></a:root>"))
    }

    @Test func keepsUnicodeAndEmoji() {
        var w = XMLWriter(namespaces: [a])
        w.element(a("t"), "Straße – 東京 🚀")
        #expect(String(decoding: w.bytes, as: UTF8.self).hasSuffix("<a:t xmlns:a=\"urn:a\">Straße – 東京 🚀</a:t>"))
    }
}
