public import Reporting
/// What can stop a build, with what to do about it.
public enum BuildError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// No Debian mirror could be read from the host's apt sources.
    case noMirror(searched: [String])
    /// A mirror's login cannot be handed to apt (`url` is shown without it).
    case badMirror(url: String, reason: String)
    /// An element hook failed.
    case hookFailed(element: String, phase: String, hook: String, status: Int32, outputTail: [String], log: String)
    /// A build step other than a hook failed.
    case stepFailed(step: String, reason: String)
    /// The output cannot be written where asked.
    case badOutput(path: String, reason: String)
    /// `-p` names a file that cannot be installed.
    case badVendorPackage(path: String, reason: String)
    /// `-p` was given without `-v`.
    case vendorPackageNeedsVersion(path: String)
    /// The mirror's package index of a suite could not be read; `notServed` when the mirror answered that it
    /// has no such file (the suite is not there).
    case mirrorIndex(mirror: String, suite: String, reason: String, notServed: Bool)
    /// An Ubuntu release was asked for without an Ubuntu mirror (`--mirror`, `DIBKIT_UBUNTU_MIRROR`).
    case noUbuntuMirror(release: String)
    /// `--keyring` names no readable, non-empty file.
    case badKeyring(path: String)
    /// The archive keyring could not be found or fetched.
    case noKeyring(path: String, reason: String)
    /// The mirror's Release file of a suite is past its Valid-Until (a stale or snapshot mirror).
    case releaseExpired(mirror: String, suite: String, validUntil: String)
    /// A mount was still present under the work folder, so it was not removed.
    case leakedMount(String)
    /// The filesystem holding `path` has less free space than the build needs there.
    case notEnoughSpace(path: String, free: UInt64, needed: UInt64, what: String)
    /// `SOURCE_DATE_EPOCH` is set to something other than a number of seconds.
    case badSourceDate(String)

    public var failureKind: FailureKind { isBadInput ? .badInput : .failed }

    /// True when what the user gave is wrong (the CLI exits 2), not the build.
    public var isBadInput: Bool {
        switch self {
        case .badMirror, .badVendorPackage, .vendorPackageNeedsVersion, .noUbuntuMirror, .badKeyring, .badSourceDate: return true
        case .mirrorIndex(_, _, _, let notServed): return notServed
        case .noMirror, .hookFailed, .stepFailed, .badOutput, .leakedMount, .notEnoughSpace, .releaseExpired, .noKeyring: return false
        }
    }

    public var description: String {
        switch self {
        case .noMirror(let searched):
            return "no Debian mirror found in the host's apt sources (looked in \(searched.joined(separator: ", "))); "
                + "pass one with --mirror URL"
        case .badMirror(let url, let reason):
            return "mirror \(url) (its login not shown): \(reason); pass --mirror with a login apt can use"
        case .hookFailed(let element, let phase, let hook, let status, let tail, let log):
            let shown = tail.isEmpty ? "  (no output)" : tail.map { "  | \($0)" }.joined(separator: "\n")
            return "element '\(element)', phase \(phase), script \(hook) failed with exit status \(status); "
                + "its last output:\n\(shown)\nfull log: \(log)\nno image was written"
        case .stepFailed(let step, let reason):
            return "\(step) failed: \(reason)\nno image was written"
        case .badOutput(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .badVendorPackage(let path, let reason):
            return "-p \(path) \(reason)\nno image was written"
        case .vendorPackageNeedsVersion(let path):
            return "-p \(path) needs -v VERSION: say which version the package holds (e.g. -v 7.2.4)"
        case .mirrorIndex(let mirror, let suite, let reason, let notServed):
            return "cannot read the package index of \(suite) from the mirror \(mirror): \(reason); "
                + (notServed ? "the mirror does not serve \(suite): pass --mirror with one that does, or another --release"
                             : "check the mirror (--mirror, or the host's apt sources) and the network")
        case .notEnoughSpace(let path, let free, let needed, let what):
            return "not enough space for the build: the filesystem holding \(path) has \(Quantities.format(bytes: free)) "
                + "free, and needs about \(Quantities.format(bytes: needed)) for \(what); free space there, or point "
                + "TMPDIR, -o or --cache-dir at another filesystem. Nothing was written"
        case .noUbuntuMirror(let release):
            return "no Ubuntu mirror for \(release): the host's apt sources name Debian's only; pass --mirror URL "
                + "(an Ubuntu archive or a mirror of it) or set DIBKIT_UBUNTU_MIRROR"
        case .badKeyring(let path):
            return "--keyring \(path) is not a readable, non-empty file; give an archive keyring (e.g. "
                + "/usr/share/keyrings/ubuntu-archive-keyring.gpg from the ubuntu-keyring package)"
        case .noKeyring(let path, let reason):
            return "no Ubuntu archive keyring to check the mirror with: \(path) is not on this host, and \(reason); "
                + "install ubuntu-keyring, or pass --keyring FILE"
        case .releaseExpired(let mirror, let suite, let validUntil):
            return "the Release file of Debian \(suite) on the mirror \(mirror) expired on \(validUntil) (its Valid-Until): "
                + "the mirror is stale or a snapshot, and apt refuses it; use a current mirror (--mirror), or pass "
                + "--allow-expired-release to build from it anyway"
        case .badSourceDate(let value):
            return "SOURCE_DATE_EPOCH=\(value) is not a number of seconds since 1970-01-01 UTC; set it to one "
                + "(e.g. the time of the last commit: git log -1 --format=%ct) or unset it"
        case .leakedMount(let path):
            return "a mount is still present at \(path); the work folder was left in place — unmount it, then remove it"
        }
    }
}
