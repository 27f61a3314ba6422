@testable import SBOM
import Testing

@Suite("Debian's license names and expressions in SPDX's terms")
struct LicenseTranslatorTests {
    @Test("short names, GNU versions, and/or/with and commas", arguments: [
        ("GPL-2+", "GPL-2.0-or-later"), ("GPL-2", "GPL-2.0-only"), ("LGPL-2.1+", "LGPL-2.1-or-later"), ("GPLv3+", "GPL-3.0-or-later"),
        ("GPL-2.0+", "GPL-2.0-or-later"), ("LGPL-3.0-only", "LGPL-3.0-only"), ("GFDL-NIV-1.2+", "GFDL-1.2-no-invariants-or-later"),
        ("BSD-3-clause", "BSD-3-Clause"), ("Expat", "MIT"), ("Apache-2.0", "Apache-2.0"), ("ZLIB", "Zlib"), ("CC0", "CC0-1.0"),
        ("public-domain", "LicenseRef-public-domain"), ("GPL-4+", "LicenseRef-GPL-4-plus"), ("MPL-1.1+", "LicenseRef-MPL-1.1-plus"),
        ("GPL-1+ or Artistic", "GPL-1.0-or-later OR LicenseRef-Artistic"),
        ("BSD-3-clause and GPL-2 or MIT", "BSD-3-Clause AND GPL-2.0-only OR MIT"),
        ("GPL-2+ or Artistic-2.0, and BSD-3-clause", "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause"),
        ("GPL-2+ with Autoconf exception", "GPL-2.0-or-later WITH Autoconf-exception-2.0"),
        ("GPL-3+ with Autoconf exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0"),
        ("GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note"),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0"),
        ("LGPL-2.1+ with OpenSSL exception or MIT", "LicenseRef-LGPL-2.1-plus-with-OpenSSL-exception OR MIT"),
        ("LGPL-2.1+~OpenSSL", "LicenseRef-LGPL-2.1-plus-OpenSSL"),
    ])
    func expressions(debian: String, spdx: String) {
        var translator = LicenseTranslator()
        #expect(translator.expression(debian) == spdx)
    }

    @Test("free text where a license name belongs is no expression", arguments: [
        "", "MIT/X11 (BSD like) LGPL-2+", "Permission to use, copy, modify", "GPL-2+,", "GPL-2+ or", "and MIT", "GPL-2+ with", "A, B",
    ])
    func notExpressions(text: String) {
        var translator = LicenseTranslator()
        #expect(translator.expression(text) == nil)
        #expect(translator.references.isEmpty, "nothing read from it stays")
    }

    @Test("a package declares the AND of its paragraphs' distinct licenses, or nothing when there are none or one is empty")
    func declared() {
        var translator = LicenseTranslator()
        #expect(translator.declared(["BSD-3-clause", "GPL-2+ or MIT", "BSD-3-clause\nThe text."], source: "x")
            == "BSD-3-Clause AND (GPL-2.0-or-later OR MIT)")
        #expect(translator.declared(["Expat"], source: "x") == "MIT")
        #expect(translator.declared([], source: "x") == nil)
        #expect(translator.declared(["MIT", ""], source: "x") == nil)
        #expect(translator.declared([" \n "], source: "x") == nil)
        #expect(translator.references.isEmpty)
    }

    @Test("a license given by its text, without a name SPDX or Debian knows, is a LicenseRef of the source package holding that text")
    func licenseTexts() {
        var translator = LicenseTranslator()
        let text = "\nLicensed under your choice of (a) RSALv2;\nor (b) SSPLv1; or (c) AGPLv3."
        #expect(translator.declared([text, "BSD-3-clause"], source: "redis") == "LicenseRef-redis-license AND BSD-3-Clause")
        #expect(translator.declared([text], source: "redis") == "LicenseRef-redis-license", "another binary package of redis")
        #expect(translator.declared(["MIT/X11 (BSD like)\nPermission is granted."], source: "redis") == "LicenseRef-redis-license-2")
        #expect(translator.references["LicenseRef-redis-license"] == .init(
            licenseId: "LicenseRef-redis-license", name: "a license without a short name in the copyright file of redis",
            extractedText: "Licensed under your choice of (a) RSALv2;\nor (b) SSPLv1; or (c) AGPLv3."))
        #expect(translator.references["LicenseRef-redis-license-2"]?.name == "\"MIT/X11 (BSD like)\" in the copyright file of redis")
        #expect(translator.references["LicenseRef-redis-license-2"]?.extractedText == "MIT/X11 (BSD like)\nPermission is granted.")
    }

    @Test("each name SPDX lacks gets one LicenseRef, distinct from another name's that differs only in case or punctuation")
    func references() {
        var translator = LicenseTranslator()
        #expect(translator.expression("public-domain") == "LicenseRef-public-domain")
        #expect(translator.expression("Public-Domain") == "LicenseRef-Public-Domain-2")
        #expect(translator.expression("public_domain") == "LicenseRef-public-domain-3")
        #expect(translator.expression("public-domain or Public-Domain") == "LicenseRef-public-domain OR LicenseRef-Public-Domain-2")
        #expect(translator.references.mapValues(\.name) == [
            "LicenseRef-public-domain": "public-domain", "LicenseRef-Public-Domain-2": "Public-Domain",
            "LicenseRef-public-domain-3": "public_domain",
        ])
        #expect(translator.references["LicenseRef-public-domain"]?.extractedText.hasPrefix("\"public-domain\" is how Debian's") == true)
    }
}
