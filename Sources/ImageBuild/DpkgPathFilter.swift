import HostProcesses

/// dpkg's path filters (`path-exclude=/GLOB`, `path-include=/GLOB`; the last rule a path matches decides,
/// and a path no rule matches is kept) applied to the base root by mmdebstrap hooks instead of `--dpkgopt`.
///
/// Given path filters as `--dpkgopt`, mmdebstrap pipes every essential package through its Python
/// `mmtarfilter` while extracting them: 7 of the 31 s a cold bootstrap took (bookworm, this machine). The
/// hooks keep that work out: the filters are in dpkg's configuration before the first package is unpacked
/// (every `dpkg --unpack` honours them), and what the essential packages' plain extraction put in place
/// against them is deleted before dpkg installs those packages. The file stays in the image, so packages
/// installed later are filtered too.
struct DpkgPathFilter: Sendable {
    /// The rules, in order, as an element's `bootstrap.path-filter` gives them.
    let rules: [String]

    /// The filters' file in the root.
    static let configurationFile = "etc/dpkg/dpkg.cfg.d/10-dibkit-path-filter"

    /// The mmdebstrap hooks, empty without rules: `--setup-hook` writes the configuration file,
    /// `--extract-hook` deletes the extracted paths the rules exclude.
    var bootstrapHooks: [String] {
        guard !rules.isEmpty else { return [] }
        let file = "\"$1\"/\(Self.configurationFile)"
        let lines = rules.map(shellQuote).joined(separator: " ")
        return [
            "--setup-hook=mkdir -p \"$1\"/etc/dpkg/dpkg.cfg.d && printf '%s\\n' \(lines) > \(file)",
            "--extract-hook=cd \"$1\" && \(pruneCommand)",
        ]
    }

    /// A `find` run from the root's top that deletes every file, link and emptied folder the rules exclude,
    /// deepest first; it stays on the root's filesystem (mmdebstrap has /proc, /sys and /dev mounted there).
    var pruneCommand: String {
        "find . -xdev -depth \\( \(excludedExpression) \\) \\( ! -type d -o -empty \\) -delete"
    }

    /// A `find` test true for the paths the rules exclude. Rule by rule: after an exclude, a path is excluded
    /// if it matches or was already; after an include, if it was already and does not match. find's
    /// `-path`, like dpkg, matches with fnmatch(3) without FNM_PATHNAME: `*` matches `/` too.
    private var excludedExpression: String {
        rules.reduce("-false") { excluded, rule in
            let (kind, glob) = Self.split(rule)
            let path = shellQuote("." + glob)
            return kind == "path-exclude" ? "\\( -path \(path) -o \(excluded) \\)" : "\\( ! -path \(path) -a \(excluded) \\)"
        }
    }

    private static func split(_ rule: String) -> (kind: Substring, glob: Substring) {
        let parts = rule.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        return (parts[0], parts.count > 1 ? parts[1] : "")
    }
}
