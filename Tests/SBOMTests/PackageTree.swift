import Foundation
import SBOM
import TestSupport

/// A root tree as a build leaves it, reduced to what the SBOM reads: dpkg's status file and the packages'
/// copyright files (machine-readable, free-form, missing, and reached through relative and absolute links).
struct PackageTree {
    let folder: TemporaryFolder
    var root: URL { folder.url }

    init() throws {
        folder = try TemporaryFolder()
        try write("var/lib/dpkg/status", Self.status)
        try write("usr/share/doc/redis-server/copyright", """
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
            Upstream-Name: redis
            License: GPL-2+

            Files: *
            Copyright:
             © 2016-2025, Redis Ltd.
            License:
             Licensed under your choice of (a) the Redis Source Available License 2.0
             (RSALv2); or (b) the Server Side Public License v1 (SSPLv1); or (c) the
             GNU Affero General Public License v3 (AGPLv3).

            Files:
             src/rio.*
             deps/hiredis/*
            Copyright: Salvatore Sanfilippo
            License: BSD-3-clause

            Files: deps/jemalloc/*
            Copyright: Jason Evans
            License: BSD-2-clause
             Redistribution and use in source and binary forms, with or without
             modification, are permitted.
             .
             THIS SOFTWARE IS PROVIDED BY THE AUTHOR "AS IS".

            Files: deps/lua/*
            License: Expat

            Files: debian/*
            License: BSD-3-clause

            License: BSD-3-clause
             The text of the license.

            """)
        try write("usr/share/doc/libstdc++6/copyright", "This is the Debian GNU/Linux prepackaged version of the GNU compiler collection.\n")
        try write("usr/share/doc/libfoo1/copyright", """
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

            Files: *
            License: GPL-2+ or Artistic, and public-domain

            """)
        try link("usr/share/doc/libfoo-dev", to: "libfoo1")
        // Absolute, as the image sees it: read from the tree, never from the host's /usr/share/doc.
        try write("usr/share/doc/dibkit-sbom-fixture/copyright", """
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

            Files: *
            License: GPL-3+ with OpenSSL exception

            """)
        try link("usr/share/doc/shell-docs", to: "/usr/share/doc/dibkit-sbom-fixture")
    }

    /// The packages of a new tree, read as a build reads them.
    static func packages() throws -> [InstalledPackage] {
        let tree = try PackageTree()
        return try withExtendedLifetime(tree) { try PackageInventory.read(root: tree.root) }
    }

    private func write(_ path: String, _ text: String) throws {
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }

    private func link(_ path: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(path).path, withDestinationPath: destination)
    }

    static let status = """
        Package: redis-server
        Status: install ok installed
        Priority: optional
        Section: database
        Installed-Size: 3612
        Maintainer: Chris Lamb <lamby@debian.org>
        Architecture: amd64
        Source: redis (5:8.0.2-3)
        Version: 5:8.0.2-3+b1
        Depends: redis-tools (= 5:8.0.2-3+b1)
        Description: Persistent key-value database with network interface
         Redis is a key-value database in a similar vein to memcache.
         .
         The dataset is stored entirely in memory.

        Package: libstdc++6
        Status: install ok installed
        Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
        Architecture: amd64
        Multi-Arch: same
        Source: gcc-14
        Version: 14.2.0-19

        Package: base-files
        Essential: yes
        Status: install ok installed
        Maintainer: Santiago Vila <sanvila@debian.org>
        Architecture: amd64
        Version: 13.8

        Package: old-config
        Status: deinstall ok config-files
        Architecture: all
        Version: 1.0

        Package: libfoo-dev
        Status: hold ok installed
        Maintainer: Foo Team
        Architecture: amd64
        Source: libfoo
        Version: 2.1-1

        Package: shell-docs
        Status: install ok installed
        Architecture: all
        Version: 1~rc1

        """
}
