public import Reporting

/// What is wrong with the elements asked for, and what to do about it.
public enum ElementError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// No element of that name: `chain` is how it was reached, e.g. `["redis", "firstboot"]` when firstboot
    /// needs it; `searched` are the folders looked in, `available` the element names found there.
    case missing(name: String, chain: [String], searched: [String], available: [String])
    /// A folder of the search path (`ELEMENTS_PATH` or the built-in one) is not a folder.
    case notAFolder(path: String)
    /// Elements depend on each other in a circle: `["a", "b", "a"]`.
    case cycle([String])
    /// Two elements provide the same name.
    case conflictingProvides(name: String, elements: [String])
    /// An element was asked for by name while another element of the build provides that name.
    case alreadyProvided(name: String, provider: String)
    /// Two elements bring a file of the same name to the same folder (`install.d/50-x`, `bin/tool`).
    case duplicateHook(phase: String, hook: String, elements: [String])
    /// No element provides `operating-system`.
    case noOperatingSystem(elements: [String])
    /// A file of an element cannot be understood: `path` and what is wrong with it.
    case badFile(path: String, reason: String)
    /// A `when:` condition of `package-installs.yaml` names a variable the build does not set.
    case unsetVariable(element: String, package: String, variable: String)
    /// `-v` names a version no source of the database element lists; `supported` is source → versions.
    case unsupportedVersion(element: String, requested: String, supported: [String: [String]])
    /// `-c` / `-e` asks for an edition the element does not define.
    case unsupportedEdition(element: String, requested: String, defined: [String])
    /// A source the element's version table does not have.
    case unknownSource(element: String, requested: String, sources: [String])
    /// The version exists but not for the release being built.
    case unsupportedRelease(element: String, version: String, release: String, releases: [String])
    /// `-v` asks for a version `--release` does not ship; `releases` are those that do.
    case versionInOtherRelease(element: String, version: String, release: String, releases: [String])
    /// `--release` names a release for which the database's table has no archive version; `available` is
    /// "release: versions" for the releases it has, `vendor` the versions a vendor's package (`-p`) may be.
    case noVersionForRelease(element: String, release: String, available: [String], vendor: [String] = [])
    /// The mirror's index of `release` does not hold the table's row: `found` is "package version" as the
    /// index has it (`(none)` for a package it lacks).
    case notInMirror(element: String, version: String, release: String, found: [String])
    /// The element has no version table at all, yet a version or edition was asked for.
    case noVersionTable(element: String)
    /// The database installs only from the user's package (its version tables are all `vendor`) and none was
    /// given; `supported` is source (or "edition source") → versions.
    /// `requested` is the version asked for when the element has archive versions too, nil when it has none.
    case needsUserPackage(element: String, requested: String?, supported: [String: [String]])
    /// dibkit's own `elements/` folder was not found.
    case builtInElementsNotFound(searched: [String])

    /// ssh public keys (`-k`, `--ssh-key`, a cloud's keypair) that are not in authorized_keys format.
    case badPublicKey(path: String, line: Int?, reason: String)

    /// Every element error is a fault of the input.
    public var failureKind: FailureKind { .badInput }

    public var description: String {
        switch self {
        case .badPublicKey(let path, let line, let reason):
            return "-k \(path)\(line.map { ", line \($0)," } ?? "") \(reason)"
        case .missing(let name, let chain, let searched, let available):
            let via = chain.isEmpty ? "" : " (needed by \((chain + [name]).joined(separator: " → ")))"
            return "no element named '\(name)'\(via); looked in \(list(searched)); "
                + "elements that exist: \(list(available)). Check the name, or add its folder to ELEMENTS_PATH."
        case .notAFolder(let path):
            return "element search path entry '\(path)' is not a folder; fix ELEMENTS_PATH"
        case .cycle(let chain):
            return "element dependency cycle: \(chain.joined(separator: " → ")); remove one of these element-deps lines"
        case .conflictingProvides(let name, let elements):
            return "elements \(elements.joined(separator: " and ")) both provide '\(name)'; use only one of them"
        case .alreadyProvided(let name, let provider):
            return "element '\(name)' was asked for, but element '\(provider)' provides '\(name)' too; ask for only one of them"
        case .duplicateHook(let phase, let hook, let elements):
            return "elements \(elements.joined(separator: " and ")) both have \(phase)/\(hook); "
                + "diskimage-builder merges these folders, so rename one of them"
        case .noOperatingSystem(let elements):
            return "none of the elements (\(list(elements))) provides 'operating-system'; "
                + "add a base element such as debian"
        case .badFile(let path, let reason):
            return "\(path): \(reason)"
        case .unsetVariable(let element, let package, let variable):
            return "package-installs.yaml of element '\(element)': package '\(package)' has a when: condition on "
                + "\(variable), which is not set; set it in the environment or in an environment.d file"
        case .unsupportedVersion(let element, let requested, let supported):
            return "\(element) has no version \(requested); supported versions: \(table(supported))"
        case .unsupportedEdition(let element, let requested, let defined):
            return defined.isEmpty
                ? "\(element) has no editions, so there is no \(requested) edition; build it without -c / -e"
                : "\(element) has no \(requested) edition; it defines: \(list(defined))"
        case .unknownSource(let element, let requested, let sources):
            return "\(element) has no source '\(requested)'; its sources: \(list(sources))"
        case .unsupportedRelease(let element, let version, let release, let releases):
            return "\(element) \(version) is not available for release \(release); it is for: \(list(releases))"
        case .versionInOtherRelease(let element, let version, let release, let releases):
            return "\(element) \(version) is not in \(Distribution.describe(release)): it is in \(list(releases)). "
                + "Build it with --release \(releases.first ?? release), or leave out --release and dibkit picks the release that ships it"
        case .noVersionForRelease(let element, let release, let available, let vendor):
            return "\(element) has no version for \(Distribution.describe(release)); its versions per release: \(available.joined(separator: "; ")). "
                + "Pick one of those releases with --release"
                + (vendor.isEmpty ? "" : ", or give the vendor's package with -p FILE and -v VERSION (vendor: \(vendor.joined(separator: ", ")))")
        case .notInMirror(let element, let version, let release, let found):
            return "\(element) \(version): the mirror's \(release) does not ship it (its index has \(list(found))), "
                + "though dibkit's version table says it does. Check --mirror (it must serve \(release)), "
                + "or ask for another version (dibkit elements show \(element))"
        case .noVersionTable(let element):
            return "\(element) has no version table (element.yaml `versions`), so -v, -c and -e do not apply to it"
        case .needsUserPackage(let element, let requested, let supported):
            let editions = supported.keys.contains { $0.contains(" ") } ? ", -c or -e for the edition" : ""
            let what = requested.map { "\(element) \($0) is not in the Debian archive" }
                ?? "\(element) is not in the Debian archive"
            return "\(what): it installs only from the vendor's package. Pass it "
                + "with -p FILE (a .deb, or a tarball with setup.sh at its root) and its version with -v VERSION"
                + "\(editions); supported versions: \(table(supported))"
        case .builtInElementsNotFound(let searched):
            return "dibkit's built-in elements folder was not found (looked in \(list(searched))); "
                + "set DIBKIT_ELEMENTS_DIR to it"
        }
    }

    private func list(_ items: [String]) -> String {
        items.isEmpty ? "(none)" : items.joined(separator: ", ")
    }

    private func table(_ supported: [String: [String]]) -> String {
        supported.isEmpty
            ? "(none)"
            : supported.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }
                .joined(separator: "; ")
    }
}
