/// Debian's license short names (`GPL-2+`, `Expat`, `BSD-3-clause`) and the SPDX identifiers they stand for.
/// A name with none here becomes a `LicenseRef-` of the document (`LicenseTranslator`).
enum LicenseNames {
    /// The SPDX identifier of the Debian license `name`, or nil when it has none here.
    static func spdxID(_ name: String) -> String? {
        let key = name.lowercased()
        return listed[key] ?? debianNames[key] ?? gnu(name)
    }

    /// The SPDX exception `words` (what follows `with` in Debian's `GPL-2+ with Autoconf exception`, or an SPDX
    /// exception identifier) name for `license`, or nil when none here.
    static func spdxException(_ words: [String], for license: String) -> String? {
        let named = words.count > 1 && words.last?.lowercased() == "exception" ? words.dropLast() : words[...]
        let key = named.joined(separator: "-").lowercased()
        if let id = exceptions.first(where: { $0.lowercased() == key }) { return id }
        let gpl3 = license.hasPrefix("GPL-3")
        return switch key {
        case "autoconf": gpl3 ? "Autoconf-exception-3.0" : "Autoconf-exception-2.0"
        case "gcc": gpl3 ? "GCC-exception-3.1" : "GCC-exception-2.0"
        case "bison": "Bison-exception-2.2"
        case "classpath": "Classpath-exception-2.0"
        case "font": "Font-exception-2.0"
        case "libtool": "Libtool-exception"
        default: nil
        }
    }

    /// The GNU licenses as Debian writes them (`GPL-2`, `GPL-2+`, `LGPL-2.1+`, `GPLv3+`, `GPL-2.0+`, `GFDL-NIV-1.2+`)
    /// or as SPDX does (`GPL-2.0-only`, `LGPL-2.1-or-later`): an SPDX identifier when the version is one
    /// the license has. No `+` means that version only.
    static func gnu(_ name: String) -> String? {
        let pattern = #/(?i)(AGPL|LGPL|GPL|GFDL)(-NIV)?-?v?(\d+(?:\.\d+)?)(-invariants|-no-invariants)?(\+|-only|-or-later)?/#
        guard let match = name.wholeMatch(of: pattern) else { return nil }
        let family = match.output.1.uppercased()
        var version = String(match.output.3)
        if !version.contains(".") { version += ".0" }
        guard gnuVersions[family]?.contains(version) == true else { return nil }
        let invariants = match.output.2 != nil ? "-no-invariants" : match.output.4.map { $0.lowercased() } ?? ""
        guard invariants.isEmpty || family == "GFDL" else { return nil }
        let later = match.output.5.map { $0 == "+" || $0.lowercased() == "-or-later" } ?? false
        return "\(family)-\(version)\(invariants)\(later ? "-or-later" : "-only")"
    }

    private static let gnuVersions: [String: Set<String>] = [
        "GPL": ["1.0", "2.0", "3.0"], "LGPL": ["2.0", "2.1", "3.0"], "AGPL": ["1.0", "3.0"], "GFDL": ["1.1", "1.2", "1.3"],
    ]

    /// Debian's own names for licenses SPDX calls otherwise (lowercased).
    private static let debianNames: [String: String] = [
        "expat": "MIT", "cc0": "CC0-1.0", "openldap-2.8": "OLDAP-2.8", "psf-2": "PSF-2.0", "zope-2.1": "ZPL-2.1",
    ]

    /// SPDX identifiers found in Debian's copyright files, keyed lowercased (Debian writes `BSD-3-clause`, `ZLIB`).
    private static let listed: [String: String] = Dictionary(uniqueKeysWithValues: [
        "0BSD", "AFL-2.1", "AFL-3.0", "Apache-1.0", "Apache-1.1", "Apache-2.0", "Artistic-1.0", "Artistic-1.0-Perl",
        "Artistic-2.0", "Beerware", "BSD-1-Clause", "BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause", "BSD-4-Clause",
        "BSL-1.0", "bzip2-1.0.6", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1",
        "curl", "EPL-1.0", "EPL-2.0", "FSFAP", "FSFUL", "FSFULLR", "FTL", "HPND", "ICU", "IJG", "Info-ZIP", "ISC", "Libpng",
        "libpng-2.0", "libtiff", "MIT", "MIT-0", "MPL-1.0", "MPL-1.1", "MPL-2.0", "NCSA", "NTP", "OFL-1.1", "OLDAP-2.8",
        "OpenSSL", "PostgreSQL", "PSF-2.0", "Python-2.0", "Ruby", "Sleepycat", "TCL", "Unicode-3.0", "Unicode-DFS-2016",
        "Unlicense", "Vim", "W3C", "WTFPL", "X11", "Zlib", "ZPL-2.1",
    ].map { ($0.lowercased(), $0) })

    /// SPDX exception identifiers dibkit writes.
    private static let exceptions = [
        "Autoconf-exception-2.0", "Autoconf-exception-3.0", "Bison-exception-2.2", "Classpath-exception-2.0",
        "Font-exception-2.0", "GCC-exception-2.0", "GCC-exception-3.1", "Libtool-exception", "Linux-syscall-note",
    ]

    /// Every SPDX identifier this table can give, for tests that check them against the SPDX license list.
    static var everySPDXID: [String] {
        Array(listed.values) + gnuVersions.flatMap { family, versions in
            versions.flatMap { ["\(family)-\($0)-only", "\(family)-\($0)-or-later"] }
        }
    }

    /// Every exception identifier this table can give.
    static var everyException: [String] { exceptions }
}
