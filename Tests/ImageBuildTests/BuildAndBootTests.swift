import BootCheck
import HostProcesses
import Foundation
import ImageBuild
import QcowIO
import Reporting
import SBOM
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Build a Redis image and boot it")
    struct BuildAndBootTests {
        @Test("dibkit build redis (trixie, the default: Redis 8.0; bookworm: 7.0) makes a qcow2 that boots under BIOS and UEFI, whose Redis takes the user-data's port and password, once per instance",
              arguments: [("trixie", "8.0"), ("bookworm", "7.0")])
        func buildAndBootRedis(release: String, version: String) async throws {
            let built = try await SharedBuilds.shared.image("redis", release: release)
            let (configuration, manifest, events) = (built.configuration, built.manifest, built.events)
            let choice = await AcceleratorChoice.detect()

            // The image, its manifest and SBOM, under their final names only; nothing left in the temp folder.
            #expect(FileManager.default.fileExists(atPath: configuration.output.path))
            #expect(FileManager.default.fileExists(atPath: configuration.manifestURL.path))
            #expect(FileManager.default.fileExists(atPath: configuration.sbomURL.path))
            #expect(built.leftovers.isEmpty)
            let onDisk = try Manifest.beside(configuration.output)
            #expect(onDisk.sha256 == manifest.sha256)
            #expect(manifest.database == "redis")
            #expect(manifest.release == release && manifest.databaseVersion?.version == version)
            #expect(manifest.packages.first { $0.name == "redis-server" }.map { $0.version.hasPrefix("5:\(version).") } == true)
            #expect(manifest.ports == [6379])
            #expect(["debian", "vm", "cloud-init", "firstboot", "firewall", "redis"].allSatisfy(manifest.elements.contains))
            let packages = Dictionary(manifest.packages.map { ($0.name, $0.version) }, uniquingKeysWith: { a, _ in a })
            for name in ["redis-server", "linux-image-cloud-amd64", "grub-pc-bin", "grub-efi-amd64-bin", "cloud-init", "nftables", "openssh-server"] {
                #expect(packages[name] != nil, "\(name) must be installed")
            }
            #expect(manifest.sizes.virtual == 3 << 30)
            // The SBOM the manifest names: SPDX 2.3 that spdx-tools finds valid, listing every package, redis-server
            // with its version, source and the license Debian declares for it.
            #expect(onDisk.sbom == configuration.sbomURL.lastPathComponent)
            let sbomFile = configuration.manifestURL.deletingLastPathComponent().appendingPathComponent(try #require(onDisk.sbom))
            let validation = try TestVenv.validateSPDX(sbomFile)
            #expect(validation.status == 0 && validation.output.isEmpty, "\(validation.output)")
            let sbom = try JSONDecoder().decode(SPDXDocument.self, from: Data(contentsOf: sbomFile))
            #expect(sbom.name == configuration.imageName && sbom.packages.first?.versionInfo == version)
            #expect(sbom.packages.dropFirst().map { "\($0.name) \($0.versionInfo ?? "")" } == manifest.packages.map { "\($0.name) \($0.version)" })
            let redis = try #require(sbom.packages.first { $0.name == "redis-server" })
            #expect(redis.versionInfo == packages["redis-server"] && redis.sourceInfo?.contains("source package redis ") == true)
            #expect(redis.licenseDeclared.contains("BSD-3-Clause") && redis.supplier?.hasPrefix("Organization: ") == true, "\(redis)")
            #expect(redis.externalRefs?.first?.referenceLocator.hasPrefix("pkg:deb/debian/redis-server@") == true)
            // The mirror's state the packages came from.
            #expect(manifest.mirrorReleases?.first?.suite == configuration.release, "\(String(describing: manifest.mirrorReleases))")
            #expect(manifest.mirrorReleases?.allSatisfy { $0.date.hasSuffix("UTC") } == true)
            // Written by QcowIO: compressed qcow2 v3 that qemu-img and dibkit's own check find clean.
            let info = try QcowIO.info(of: configuration.output)
            #expect(info.format == .qcow2 && info.version == 3 && info.compressionType == "zlib")
            #expect(try QcowIO.check(configuration.output).exitCode == 0)
            #expect(try shell("qemu-img check -q \(configuration.output.path) && echo clean") == "clean\n")
            #expect(manifest.sizes.image > 50_000_000 && manifest.sizes.image < 1_500_000_000)
            // From the base root brought up to the mirror, or from the installed tree an earlier build of the same
            // packages on this machine cached (then install.d and the phases before it do not run).
            #expect(events.finishedSteps.first == "resolve" && manifest.installedTreeFromCache != nil)
            if manifest.installedTreeFromCache == true {
                #expect(events.finishedSteps.contains("installed-tree") && !events.finishedSteps.contains("install.d"))
            } else {
                #expect(["base-root", "install.d", "installed-tree-save"].allSatisfy(events.finishedSteps.contains) && manifest.baseRootUpgrades != nil)
            }
            #expect(["post-install.d", "packages", "disk", "bootloader", "image"].allSatisfy(events.finishedSteps.contains))
            // Nothing booted to build it: no appliance, no qemu, no accelerator probed.
            #expect(!events.notes.contains { $0.contains("appliance") || $0.contains("accelerator") }, "\(events.notes)")

            // Boot it: user-data sets port and password; reboot keeps them without re-running first boot. The
            // generated password holds a space, both quotes, a backslash, $, #, a backtick and a colon.
            let report = try await runBootCheck(
                BootCheckOptions(image: configuration.output, database: .random(kind: .redis)), accelerator: choice) { _ in }
            #expect(report.checks.contains { $0.contains("PONG") })
            #expect(report.checks.contains("first-boot step configured the instance"))
            #expect(report.checks.contains("first-boot step did not run again"))
            #expect(report.checks.contains("no unit failed to start"))

            // The same qcow2 under OVMF: GRUB from /EFI/BOOT/BOOTX64.EFI, no NVRAM entry made for it.
            var uefi = BootCheckOptions(image: configuration.output, database: .random(kind: .redis))
            uefi.firmware = .uefi
            uefi.reboot = false
            let uefiReport = try await runBootCheck(uefi, accelerator: choice) { _ in }
            #expect(uefiReport.checks.contains { $0.contains("PONG") })
            #expect(uefiReport.checks.contains("no unit failed to start"))
        }

        @Test("dibkit build postgresql and mariadb on trixie (PostgreSQL 17, MariaDB 11.8): the server takes the user-data's port, user and password; the client logs in",
              arguments: [("postgresql", "postgresql-17", 5432, "17"), ("mariadb", "mariadb-server", 3306, "11.8")])
        func buildAndBootSQL(database: String, serverPackage: String, port: Int, version: String) async throws {
            try await buildAndBootFromTheArchive(database, serverPackage: serverPackage, port: port, version: version)
        }

        /// Valkey on its own (not an argument of `buildAndBootSQL`), so that it can be run by name.
        @Test("dibkit build valkey (trixie: Valkey 8.1) makes a bootable image whose valkey-server takes the user-data's port and password, once per instance")
        func buildAndBootValkey() async throws {
            try await buildAndBootFromTheArchive("valkey", serverPackage: "valkey-server", port: 6379, version: "8.1")
        }

        /// MySQL is in Debian's unstable suite only. The mirror these machines reach keeps a sid whose Release
        /// is past its Valid-Until, so the build accepts it (`--allow-expired-release`).
        @Test("dibkit build mysql (sid, Debian's unstable suite: MySQL 9.7) makes a bootable image whose MySQL takes the user-data's port, user and password")
        func buildAndBootMySQL() async throws {
            try await buildAndBootFromTheArchive(
                "mysql", serverPackage: "mysql-server", port: 3306, version: "9.7", release: "sid", acceptExpiredRelease: true)
        }

        /// Builds `database` on `release` from the Debian archive and boots it with generated user-data: the
        /// manifest names the database, its version and port; the database's checks pass (a wrong password
        /// refused), first boot ran once and no unit failed to start.
        private func buildAndBootFromTheArchive(
            _ database: String, serverPackage: String, port: Int, version: String, release: String = "trixie",
            acceptExpiredRelease: Bool = false
        ) async throws {
            let built = try await SharedBuilds.shared.image(database, release: release, acceptExpiredRelease: acceptExpiredRelease)
            let (configuration, manifest) = (built.configuration, built.manifest)
            let choice = await AcceleratorChoice.detect()
            #expect(manifest.database == database && manifest.ports == [port])
            #expect(manifest.databaseVersion?.source == "distro" && manifest.databaseVersion?.version == version)
            #expect(manifest.release == release)
            #expect(manifest.packages.contains { $0.name == serverPackage })
            #expect(built.leftovers.isEmpty)

            // The generated password holds a space, both quotes, a backslash, $, #, a backtick and a colon.
            let kind = try #require(DatabaseKind(rawValue: database))
            let report = try await runBootCheck(
                BootCheckOptions(image: configuration.output, database: .random(kind: kind)), accelerator: choice) { _ in }
            #expect(report.checks.filter { $0.hasPrefix("\(database): ") }.count >= 3, "\(report.checks)")
            #expect(report.checks.contains { $0.hasPrefix("\(database): ") && $0.hasSuffix("a wrong password is refused") })
            if kind.speaksRESP {
                #expect(report.checks.contains("\(database): PING with the password gives PONG"), "\(report.checks)")
            }
            #expect(report.checks.contains("first-boot step configured the instance"))
            #expect(report.checks.contains("first-boot step did not run again"))
            #expect(report.checks.contains("no unit failed to start"))
        }
    }
}

