/// One package dpkg has installed in an image's root tree, with what an SBOM says of it.
public struct InstalledPackage: Sendable, Equatable {
    /// The binary package's name (`redis-server`).
    public var name: String
    /// Its Debian version (`5:8.0.2-3`).
    public var version: String
    /// Its Debian architecture (`amd64`, `all`).
    public var architecture: String
    /// The `Maintainer` field, `Name <address>`; nil when dpkg records none.
    public var maintainer: String?
    /// The source package it was built from, and that package's version (the binary's own when dpkg
    /// records no other).
    public var source: String
    public var sourceVersion: String
    /// The `License` field of each `Files` paragraph of its machine-readable copyright file: a first line naming
    /// the license as Debian does (`GPL-2+`, `BSD-3-clause or GPL-2`), and lines of its text, if any, after it;
    /// nil when the package has no such file.
    public var licenses: [String]?

    public init(
        name: String, version: String, architecture: String, maintainer: String?, source: String, sourceVersion: String,
        licenses: [String]?
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.maintainer = maintainer
        self.source = source
        self.sourceVersion = sourceVersion
        self.licenses = licenses
    }
}
