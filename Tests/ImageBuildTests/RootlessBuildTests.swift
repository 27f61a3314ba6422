import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// `dibkit build` run by a user without privileges, with subordinate ids, against the same build run by root:
    /// under SOURCE_DATE_EPOCH both write the same bytes, so packages, files, owners and first boot are the same.
    @Suite("Rootless builds: a user with subordinate ids builds the image root builds")
    struct RootlessBuildTests {
        @Test("build redis as an unprivileged user and as root, both from an empty cache (mmdebstrap in the user namespace), under one SOURCE_DATE_EPOCH: the same qcow2 and SBOM; the user's files are the user's",
              .enabled(if: geteuid() == 0, "making the unprivileged user needs root"))
        func sameImageAsRoot() async throws {
            let user = try UnprivilegedUser.ensure()
            let folder = try userFolder(for: user, with: ["home", "tmp", "user", "root"])
            defer { try? FileManager.default.removeItem(at: folder) }
            let (binary, elements) = (folder.appendingPathComponent("bin/dibkit"), folder.appendingPathComponent("elements"))
            let epoch = ["SOURCE_DATE_EPOCH": "1767225600", "DIBKIT_ELEMENTS_DIR": elements.path]

            let asUser = try runCommand(user.command(
                [binary.path, "build", "redis", "-o", folder.appendingPathComponent("user/redis-rootless").path],
                environment: epoch.merging(["HOME": folder.appendingPathComponent("home").path,
                                            "TMPDIR": folder.appendingPathComponent("tmp").path]) { $1 }))
            try #require(asUser.status == 0, "the unprivileged build failed: \(asUser.output.suffix(4000))")
            // Root's build gets as clean an environment as the user's (DIBKIT_ variables reach the hooks), and a
            // cache of its own, cold too: a base root upgraded over weeks holds the same packages, not the same bytes.
            let asRoot = try runCommand(
                ["-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]
                    + epoch.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    + [binary.path, "build", "redis", "--cache-dir", folder.appendingPathComponent("root/cache").path,
                       "-o", folder.appendingPathComponent("root/redis-rootless").path])
            try #require(asRoot.status == 0, "root's build failed: \(asRoot.output.suffix(4000))")

            for suffix in [".qcow2", ".spdx.json"] {
                let (mine, roots) = (folder.appendingPathComponent("user/redis-rootless\(suffix)"),
                                         folder.appendingPathComponent("root/redis-rootless\(suffix)"))
                #expect(try runCommand(["cmp", "--silent", mine.path, roots.path]).status == 0,
                        "redis-rootless\(suffix) differs between the user's build and root's")
                let owner = try FileManager.default.attributesOfItem(atPath: mine.path)[.ownerAccountID] as? Int
                #expect(owner == Int(user.uid), "the user's image belongs to \(owner.map(String.init) ?? "?")")
            }
            // The user's cache and temp folder: the user's or its subordinate ids', nothing left in temp.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("tmp").path).isEmpty)
            let base = folder.appendingPathComponent("home/.cache/dibkit/base")
            #expect(try FileManager.default.contentsOfDirectory(atPath: base.path).contains { $0.hasSuffix(".tar") })
        }

        @Test("Ctrl-C to an unprivileged build's process group while mmdebstrap bootstraps in its user namespace: 130 within 10 s; no process, temp folder or image left",
              .enabled(if: geteuid() == 0, "running as another user needs root"))
        func interruptedInTheNamespace() async throws {
            let user = try UnprivilegedUser.ensure()
            let folder = try userFolder(for: user, with: ["home", "tmp"])
            defer { try? FileManager.default.removeItem(at: folder) }
            let temporary = folder.appendingPathComponent("tmp")
            let command = user.command(
                [folder.appendingPathComponent("bin/dibkit").path, "build", "redis", "-o", folder.appendingPathComponent("redis").path],
                environment: ["HOME": folder.appendingPathComponent("home").path, "TMPDIR": temporary.path,
                              "DIBKIT_ELEMENTS_DIR": folder.appendingPathComponent("elements").path])
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = Array(command.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { for pid in processes(mentioning: folder.path) { kill(pid, SIGKILL) } }
            // mmdebstrap's apt and dpkg work below the build's TMPDIR, inside the user namespace.
            let started = try await waitUntil(.seconds(300)) {
                !process.isRunning || processes(mentioning: temporary.path).count > 1
            }
            try #require(started && process.isRunning, "mmdebstrap never got going in the namespace")
            try await Task.sleep(for: .seconds(2))
            #expect(getpgid(process.processIdentifier) == process.processIdentifier, "dibkit leads its process group")
            kill(-process.processIdentifier, SIGINT)
            let took = try await exitTime(of: process)
            #expect(took < .seconds(10), "dibkit took \(took) to stop")
            #expect(process.terminationStatus == 130)
            try await Task.sleep(for: .seconds(1))
            #expect(processes(mentioning: folder.path).isEmpty, "processes left in \(folder.path)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("redis.qcow2").path))
        }

        @Test("a user without subordinate ids: exit 1 before any work, saying what to add to /etc/subuid and /etc/subgid",
              .enabled(if: geteuid() == 0, "running as another user needs root"))
        func withoutSubordinateIDs() throws {
            let nobody = try #require(getpwnam("nobody"), "this machine has no user nobody")
            let user = UnprivilegedUser(name: "nobody", uid: nobody.pointee.pw_uid, gid: nobody.pointee.pw_gid)
            let folder = try userFolder(for: user, with: ["tmp"])
            defer { try? FileManager.default.removeItem(at: folder) }
            let result = try runCommand(user.command(
                [folder.appendingPathComponent("bin/dibkit").path, "build", "redis", "-o", folder.appendingPathComponent("redis").path],
                environment: ["HOME": folder.path, "TMPDIR": folder.appendingPathComponent("tmp").path]))
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("error: dibkit build runs as root or, for another user, in a user namespace: "
                + "/etc/subuid gives nobody no subordinate ids, and a root tree needs 65536: as root, "
                + "`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 nobody`"), "\(result.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["bin", "elements", "tmp"])
        }

        /// A folder of `user`'s under /var/tmp with dibkit and its elements copied in (the user reaches neither
        /// root's checkout nor root's cache) and the named empty folders.
        private func userFolder(for user: UnprivilegedUser, with folders: [String]) throws -> URL {
            let folder = URL(fileURLWithPath: "/var/tmp/dibkit-rootless-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("bin"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: DibkitBinary.url, to: folder.appendingPathComponent("bin/dibkit"))
            try FileManager.default.copyItem(at: DibkitBinary.repository.appendingPathComponent("elements"),
                                             to: folder.appendingPathComponent("elements"))
            for name in folders {
                try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
            }
            try user.own(folder)
            return folder
        }
    }
}
