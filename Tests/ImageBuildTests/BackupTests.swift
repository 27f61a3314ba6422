import BootCheck
import Foundation
import HostProcesses
import ImageBuild
import TestSupport
import Testing

extension EndToEnd {
    /// Backups off the machine and restore on a new instance, on the shared images, against moto's S3 on the
    /// host (10.0.2.2 from the guest): the three databases side by side.
    @Suite("Backups to S3, restore onto a data disk")
    struct BackupTests {
        /// How a database's test data is written and read in the guest, over ssh, as its client does.
        struct Probe: Sendable {
            let database: String
            let password: String
            let value: String

            var service: String {
                switch database {
                case "redis": "redis-server.service"
                case "postgresql": "postgresql@17-main.service"
                default: "mariadb.service"
                }
            }

            var owner: String {
                switch database {
                case "redis": "redis"
                case "postgresql": "postgres"
                default: "mysql"
                }
            }

            var dataDirectory: String {
                switch database {
                case "redis": "/var/lib/redis"
                case "postgresql": "/var/lib/postgresql"
                default: "/var/lib/mysql"
                }
            }

            /// A shell command running `statement` with the instance's password over TCP on 127.0.0.1 (the
            /// password from the user-data, so a restored instance shows that its hook ran after the restore).
            func client(_ statement: String) -> String {
                let secret = shellQuoted(password)
                switch database {
                case "redis": return "REDISCLI_AUTH=\(secret) redis-cli --no-auth-warning -h 127.0.0.1 \(statement)"
                case "postgresql": return "PGPASSWORD=\(secret) psql -h 127.0.0.1 -U dibkit -d dibkit -Atc \(shellQuoted(statement))"
                default: return "MYSQL_PWD=\(secret) mariadb -h 127.0.0.1 -u dibkit dibkit -N -e \(shellQuoted(statement))"
                }
            }

            var write: String {
                database == "redis" ? client("SET backup:check \(value)")
                    : client("CREATE TABLE backup_check (v text); INSERT INTO backup_check VALUES ('\(value)')")
            }

            var read: String {
                database == "redis" ? client("GET backup:check") : client("SELECT v FROM backup_check")
            }
        }

        static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

        /// The user-data of both instances: the database's password, a data disk and the backup settings (moto, path
        /// style); the second one restores the latest backup.
        static func userData(_ probe: Probe, s3: MotoS3, restoring: Bool) -> String {
            var text = "#cloud-config\ndibkit:\n  \(probe.database):\n    password: \(DatabaseSettings.yamlDoubleQuoted(probe.password))\n"
                + "  backup:\n    schedule: \"*-*-* 03:00\"\n    keep: 2\n    s3:\n"
                + "      endpoint: http://10.0.2.2:\(s3.endpoint.port!)\n      bucket: dibkit-backups\n"
                + "      prefix: \(probe.database)\n      region: \(s3.region)\n      access_key: \(s3.accessKeyID)\n"
                + "      secret_key: \(DatabaseSettings.yamlDoubleQuoted(s3.secretAccessKey))\n      path_style: true\n"
            text += "  data_disk: auto\n"
            if restoring { text += "  restore_from: latest\n" }
            return text
        }

        /// Waits until the first boot is done and the database's unit is active (each is Type=notify or forking:
        /// active once it takes connections).
        static func waitUntilServing(_ instance: BootedInstance, _ probe: Probe) async throws {
            try await instance.waitUntilConfigured()
            try await run(instance, "timeout 300 sh -c 'until systemctl is-active -q \(probe.service); do sleep 1; done'",
                          "\(probe.database): \(probe.service) active")
        }

        /// Runs `command` in `instance`; its output, after expecting exit status `status`.
        @discardableResult
        static func run(_ instance: BootedInstance, _ command: String, _ what: String, status: Int32 = 0) async throws -> String {
            let output = try await instance.ssh(command)
            let text = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(output.status == status, "\(what): `\(command.prefix(80))` exited \(output.status): \(text)\n\(instance.consoleTail(15))")
            return text
        }

        /// A 2 GiB qcow2 disk as Nova makes an ephemeral disk for an image without os_type: vfat, label ephemeral0.
        static func novaEphemeralDisk(in folder: URL) async throws -> URL {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let raw = folder.appendingPathComponent("ephemeral.raw"), disk = folder.appendingPathComponent("ephemeral.qcow2")
            let log = folder.appendingPathComponent("tools.log")
            try await ChildProcess.run("truncate", ["-s", "2G", raw.path], log: log)
            try await ChildProcess.run("mkfs.vfat", ["-n", "ephemeral0", raw.path], log: log)
            try await ChildProcess.run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw.path, disk.path], log: log)
            try FileManager.default.removeItem(at: raw)
            return disk
        }

        static func checkBackupAndRestore(_ database: String, accelerator: AcceleratorChoice, folder: URL) async throws {
            let built = try await SharedBuilds.shared.image(database)
            let s3 = try MotoS3(region: "eu-west-1", buckets: ["dibkit-backups"], signatureChecks: false)
            defer { s3.stop() }
            let probe = Probe(database: database, password: DatabaseSettings.random(kind: .redis).password,
                              value: "value-\(UInt32.random(in: 0 ... .max))")

            // The first instance: data written, a backup taken by hand.
            var options = InstanceOptions(image: built.configuration.output, userData: userData(probe, s3: s3, restoring: false),
                                          accelerator: accelerator, directory: folder.appendingPathComponent("\(database)-first"))
            options.extraDiskGiB = 2
            let first = try await BootedInstance.boot(options)
            do {
                try await waitUntilServing(first, probe)
                // The image's data directory, copied onto the new disk as the database's user left it (the files
                // mariadb-upgrade writes as root stay root's).
                let strays = try await run(first, "sudo find \(probe.dataDirectory) ! -user \(probe.owner) ! -name 'debian-*.flag' ! -name mariadb_upgrade_info",
                                           "owners on the data disk")
                #expect(strays.isEmpty, "\(database): not \(probe.owner)'s: \(strays)")
                let wrote = try await run(first, probe.write, "\(database): write")
                #expect(wrote.contains("OK") || database != "redis")
                try await run(first, "sudo dibkit-backup now", "\(database): dibkit-backup now")
                let listed = try await run(first, "sudo dibkit-backup list --json", "\(database): list")
                #expect((try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [Any])?.count == 1, "\(database): \(listed)")
                try await run(first, "sudo dibkit-backup status", "\(database): status after a good run")
                #expect(try await run(first, "sudo stat -c %a:%U /etc/dibkit/backup.json", "mode") == "600:root")
                #expect(try await run(first, "systemctl is-enabled dibkit-backup.timer", "timer") == "enabled")
                let schedule = try await run(first, "systemctl show dibkit-backup.timer -p TimersCalendar --value", "schedule")
                #expect(schedule.contains("03:00"), "\(database): \(schedule)")
                // The S3 secret and the repository key never reach the journal.
                try await run(first, "sudo journalctl -b -o cat | grep -cF \(shellQuoted(s3.secretAccessKey))",
                              "\(database): the secret key is not in the journal", status: 1)
            } catch {
                await first.stop()
                throw error
            }
            await first.stop()

            // A new instance of the same image: an empty second disk, restore_from latest.
            options.userData = userData(probe, s3: s3, restoring: true)
            options.directory = folder.appendingPathComponent("\(database)-restored")
            if database == "postgresql" {
                // As on OpenStack: the flavor's ephemeral disk, formatted by Nova (vfat, label ephemeral0) and
                // mounted on /mnt by cloud-init, is the one `data_disk: auto` takes.
                options.existingExtraDisk = try await novaEphemeralDisk(in: folder.appendingPathComponent("nova-ephemeral"))
                options.userData += "mounts:\n  - [LABEL=ephemeral0, /mnt, auto, \"defaults,nofail,comment=cloudconfig\"]\n"
            }
            let restored = try await BootedInstance.boot(options)
            do {
                try await waitUntilServing(restored, probe)
                #expect(try await run(restored, probe.read, "\(database): read back") == probe.value)
                let mount = try await run(restored, "findmnt -n -o SOURCE,FSTYPE,LABEL /var/lib/dibkit/data", "data disk mount")
                #expect(mount.hasPrefix("/dev/vdc ext4") && mount.hasSuffix("dibkit-data"), "\(database): \(mount)")
                let bound = try await run(restored, "findmnt -n -o SOURCE \(probe.dataDirectory)", "data directory mount")
                #expect(bound.contains("/dev/vdc[/\(database)]"), "\(database): \(bound)")
                if database == "postgresql" {
                    #expect(try await run(restored, "findmnt -n /mnt; grep -c cloudconfig /etc/fstab", "Nova's mount undone", status: 1) == "0")
                }

                // S3 gone: the scheduled unit fails, status says so, the database keeps serving.
                s3.stop()
                try await run(restored, "sudo systemctl start dibkit-backup.service", "\(database): a run without S3", status: 1)
                let status = try await run(restored, "sudo dibkit-backup status", "\(database): status after a failed run", status: 1)
                #expect(status.contains("FAILED"), "\(database): \(status)")
                #expect(try await run(restored, "systemctl is-active \(probe.service)", "still active") == "active")
                #expect(try await run(restored, probe.read, "\(database): read after the failed run") == probe.value)
                if database == "redis" { try await run(restored, probe.client("SET backup:check later"), "write after") }
            } catch {
                await restored.stop()
                throw error
            }
            guard database == "redis" else {
                await restored.stop()
                return
            }
            // The data disk moved to a third instance (Redis only: the same code for every database): mounted as
            // it is, not formatted, nothing restored over it.
            await restored.powerDown()
            options.directory = folder.appendingPathComponent("\(database)-reattached")
            options.existingExtraDisk = restored.extraDisk
            let reattached = try await BootedInstance.boot(options)
            do {
                try await waitUntilServing(reattached, probe)
                #expect(try await run(reattached, probe.read, "redis: read on the moved disk") == "later")
                #expect(reattached.consoleText().contains("already holds dibkit-data: mounted as it is (not formatted)"))
                #expect(reattached.consoleText().contains("restore_from: the data disk already holds this database's data"))
            } catch {
                await reattached.stop()
                throw error
            }
            await reattached.stop()
        }

        @Test("Redis, PostgreSQL and MariaDB, side by side: data written, `dibkit-backup now` to moto's S3 (credentials 0600, never in the journal; timer on the schedule); a new instance with an empty second disk (PostgreSQL: Nova's vfat ephemeral0, mounted on /mnt by cloud-init), `data_disk: auto` and `restore_from: latest` reads the data back from the disk (ext4 dibkit-data, the data directory bound on it); with S3 gone the scheduled run fails, `dibkit-backup status` exits 1 and the database keeps serving; Redis's data disk moved to a third instance is mounted as it is, nothing restored over it")
        func backupAndRestoreSideBySide() async throws {
            let accelerator = await AcceleratorChoice.detect()
            let folder = URL(fileURLWithPath: "/var/tmp/dibkit-backup-test-\(getpid())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: folder) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for database in ["redis", "postgresql", "mariadb"] {
                    group.addTask { try await Self.checkBackupAndRestore(database, accelerator: accelerator, folder: folder) }
                }
                try await group.waitForAll()
            }
        }
    }
}
