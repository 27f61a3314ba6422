import BootCheck
import Chroot
import HostProcesses
import Foundation
import ImageBuild
import TestSupport
import Testing
import Elements
import Reporting

extension EndToEnd {
    @Suite("Vendor packages, ssh keys, the guest agent and an element written for diskimage-builder")
    struct VendorBuildTests {
        /// Runs `script` in the image's root through libguestfs (read-only: changes are discarded).
        func inImage(_ image: URL, _ script: String, accelerator: AcceleratorChoice) async throws -> String {
            try await GuestSession.withSession(
                disk: image, format: "qcow2", accelerator: accelerator.accelerator, readOnly: true
            ) { guest in
                try await guest.mount("/dev/sda1")
                return try await guest.sh(script)
            }
        }

        @Test("-p redis-server.deb from the archive (its dependencies resolved), -k, guest-agent and a DIB element: the image boots and serves")
        func vendorDeb() async throws {
            let fixture = try BuildFixture()
            defer { fixture.remove() }
            let files = try UserFiles()
            defer { files.remove() }
            let downloaded = try shell("cd \(files.folder.path) && apt-get download redis-server >/dev/null 2>&1 && ls redis-server_*.deb")
            let deb = files.folder.appendingPathComponent(downloaded.trimmingCharacters(in: .whitespacesAndNewlines))
            try #require(FileManager.default.fileExists(atPath: deb.path), "apt-get download redis-server failed")
            let (_, publicKey) = try files.keyPair()

            // apt-get download takes the host's (bookworm's) package, so the image is bookworm's too.
            var configuration = try fixture.configuration(["redis", "dib-fixture", "guest-agent"], name: "redis-vendor", release: "bookworm")
            configuration.version = "7.0.15"
            configuration.vendorPackage = try VendorPackage(file: deb)
            configuration.authorizedKeys = try AuthorizedKeys(file: publicKey)
            let choice = await AcceleratorChoice.detect()
            let manifest = try await build(configuration) { _ in }

            let version = try #require(manifest.databaseVersion)
            #expect(version.source == "vendor" && version.version == "7.0.15")
            #expect(version.vendorPackage == deb.lastPathComponent && version.vendorPackageSHA256?.count == 64)
            #expect(manifest.authorizedKeys == 1 && manifest.loginUser == "dibkit")
            let packages = Set(manifest.packages.map(\.name))
            for name in ["redis-server", "redis-tools", "qemu-guest-agent", "sudo", "tree", "jq", "curl"] {
                #expect(packages.contains(name), "\(name) must be installed")
            }
            #expect(manifest.elements.contains("vendor-package") && manifest.elements.contains("ssh-keys"))

            let key = try String(contentsOf: publicKey, encoding: .utf8)
            let inside = try await inImage(configuration.output, """
                cat /home/dibkit/.ssh/authorized_keys; stat -c '%U %a' /home/dibkit/.ssh/authorized_keys
                cat /etc/sudoers.d/90-dibkit-dibkit; passwd -S dibkit | cut -d' ' -f2
                cat /etc/dib-fixture/install.d /etc/dib-fixture/post-install.d
                echo "doc: $(find /usr/share/doc/sudo -type f -printf '%P ')"; ls /etc/dpkg/dpkg.cfg.d | sed 's/^/dpkg.cfg.d: /'
                [ -e /usr/share/man/man8/sudo.8.gz ] || echo "no man pages"
                [ -n "$(find /usr/lib/grub/x86_64-efi -path '*monolithic*' -type f)" ] || echo "no monolithic GRUB"
                """, accelerator: choice)
            #expect(inside.hasPrefix(key), "\(inside)")
            #expect(inside.contains("dibkit 600"))
            #expect(inside.contains("dibkit ALL=(ALL) NOPASSWD:ALL"))
            #expect(inside.contains("\nL\n"), "the login user's password must be locked: \(inside)")
            // dpkg's path filters: only each package's copyright under /usr/share/doc, no manual pages, no
            // unused GRUB images; the build's force-unsafe-io is gone, the filters stay for later installs.
            #expect(inside.contains("doc: copyright \n") && inside.contains("no man pages") && inside.contains("no monolithic GRUB"), "\(inside)")
            #expect(inside.contains("dpkg.cfg.d: 10-dibkit-path-filter") && inside.contains("dpkg.cfg.d: 10-dibkit-vm"), "\(inside)")
            #expect(!inside.contains("99mmdebstrap"), "\(inside)")
            #expect(!inside.contains("00dibkit-build"), "\(inside)")
            for line in ["release=bookworm", "distro=debian", "init=systemd", "greeting=hello from environment.d",
                         "hooks=/tmp/in_target.d", "jq-1."] {
                #expect(inside.contains(line), "\(line) missing from \(inside)")
            }

            let report = try await runBootCheck(
                BootCheckOptions(image: configuration.output, database: .random(kind: .redis)), accelerator: choice) { _ in }
            #expect(report.checks.contains { $0.contains("PONG") })
            #expect(report.checks.contains("first-boot step did not run again"))
        }

        @Test("-p vendor.tgz: setup.sh runs inside the root from the extracted tree")
        func vendorTarball() async throws {
            let fixture = try BuildFixture()
            defer { fixture.remove() }
            let files = try UserFiles()
            defer { files.remove() }
            let tarball = try files.tarball("redis-vendor.tbz2", compression: "bz2", """
                add_file("setup.sh", "#!/bin/bash\\nset -eu\\napt-get -y -q install --no-install-recommends redis-server\\n" \
                    "install -m 0755 bin/redis-vendor-check /usr/local/bin/redis-vendor-check\\n" \
                    "echo \\"$DIBKIT_DB_VERSION $DIBKIT_VENDOR_KIND $PWD\\" > /etc/redis-vendor-setup\\n", 0o755)
                add_file("bin/redis-vendor-check", "#!/bin/sh\\necho vendor check\\n", 0o755)
                """)
            var configuration = try fixture.configuration(["redis"], name: "redis-tarball")
            configuration.version = "7.2"
            configuration.vendorPackage = try VendorPackage(file: tarball)
            let choice = await AcceleratorChoice.detect()
            let manifest = try await build(configuration) { _ in }

            #expect(manifest.databaseVersion?.source == "vendor" && manifest.databaseVersion?.version == "7.2")
            #expect(manifest.packages.contains { $0.name == "redis-server" })
            let inside = try await inImage(configuration.output, "cat /etc/redis-vendor-setup; /usr/local/bin/redis-vendor-check",
                                           accelerator: choice)
            #expect(inside == "7.2 tarball /tmp/in_target.d/vendor-package/tree\nvendor check\n", "\(inside)")
        }
    }
}
