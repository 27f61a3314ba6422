import Foundation
import TestSupport
import Testing

/// The data disk's choice of disk (dibkit_datadisk.choose on lsblk's JSON), and the first-boot checks of
/// `backup`, `restore_from` and `data_disk` on a fake root (what needs a real disk or S3 is in BackupTests).
@Suite("Data disk and backup settings at first boot")
struct BackupAndDataDiskHookTests {
    /// lsblk's JSON for: the root disk vda (vda1 on /), the NoCloud seed vdb (iso9660 cidata), and `extra`.
    static func devices(_ extra: String) -> String {
        """
        {"blockdevices": [
          {"path": "/dev/vda", "type": "disk", "fstype": null, "label": null, "uuid": null, "mountpoint": null, "pttype": "gpt", "ro": false,
           "children": [{"path": "/dev/vda1", "type": "part", "fstype": "ext4", "label": null, "uuid": "u1", "mountpoint": "/", "pttype": "gpt", "ro": false}]},
          {"path": "/dev/vdb", "type": "disk", "fstype": "iso9660", "label": "cidata", "uuid": null, "mountpoint": null, "pttype": null, "ro": true}\(extra)
        ]}
        """
    }

    static let empty = #", {"path": "/dev/vdc", "type": "disk", "fstype": null, "label": null, "uuid": null, "mountpoint": null, "pttype": null, "ro": false}"#
    static let ours = #", {"path": "/dev/vdd", "type": "disk", "fstype": "ext4", "label": "dibkit-data", "uuid": "u4", "mountpoint": null, "pttype": null, "ro": false}"#
    static let nova = #", {"path": "/dev/vdc", "type": "disk", "fstype": "vfat", "label": "ephemeral0", "uuid": "u3", "mountpoint": "/mnt", "pttype": null, "ro": false}"#
    static let other = #", {"path": "/dev/vdc", "type": "disk", "fstype": "xfs", "label": "backups", "uuid": "u5", "mountpoint": null, "pttype": null, "ro": false}"#

    /// `choose(value, devices)`'s answer: "PATH KIND", or "error: MESSAGE".
    static func choice(_ value: String, _ devices: String) throws -> String {
        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import dibkit_datadisk as d, dibkit_firstboot as fb
            try:
                disk, kind = d.choose(sys.argv[2], json.loads(sys.argv[3])["blockdevices"])
                print(disk["path"], kind)
            except fb.FirstbootError as error:
                print("error:", error)
            """
        let modules = elementsDirectory.appendingPathComponent("firstboot/static/usr/lib/dibkit/python").path
        let result = try runCommand(["python3", "-c", script, modules, value, devices], environment: ["PYTHONDONTWRITEBYTECODE": "1"])
        try #require(result.status == 0, "\(result.output)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("auto takes the first empty extra disk (not the root disk, not the seed), a disk already labelled dibkit-data before it, or Nova's ephemeral disk; a named disk holding another filesystem or the root disk is refused")
    func dataDiskChoice() throws {
        #expect(try Self.choice("auto", Self.devices(Self.empty)) == "/dev/vdc empty")
        #expect(try Self.choice("auto", Self.devices(Self.empty + Self.ours)) == "/dev/vdd ours")
        #expect(try Self.choice("auto", Self.devices(Self.nova)) == "/dev/vdc ephemeral")
        #expect(try Self.choice("/dev/vdc", Self.devices(Self.empty)) == "/dev/vdc empty")
        let none = try Self.choice("auto", Self.devices(Self.other))
        #expect(none.hasPrefix("error: data_disk: auto found no empty extra disk") && none.contains("/dev/vdc (xfs)"), "\(none)")
        let taken = try Self.choice("/dev/vdc", Self.devices(Self.other))
        #expect(taken.contains("holds xfs (label backups): refusing to format it"), "\(taken)")
        #expect(try Self.choice("/dev/vda", Self.devices("")).contains("is the root disk"))
        #expect(try Self.choice("/dev/vdz", Self.devices("")).contains("is not a disk of this instance"))
    }

    /// A fake root with the backup element and a stand-in Redis hook (so the image has a database to back up).
    static func root(userData: String) throws -> FakeRoot {
        let root = try FakeRoot(database: "backup")
        try root.write("/usr/lib/dibkit/firstboot.d/50-redis", "#!/bin/sh\ncat > /dev/null\n")
        try #require(chmod(root.path("/usr/lib/dibkit/firstboot.d/50-redis"), 0o755) == 0)
        try root.setInstance("iid-backup")
        try root.setUserData(userData)
        return root
    }

    static let s3 = """
        #cloud-config
        dibkit:
          backup:
            schedule: "*-*-* 03:00"
            keep: 3
            s3: {endpoint: "http://10.0.2.2:9000", bucket: dibkit-backups, prefix: redis/prod, access_key: AKIAEXAMPLE, secret_key: "s3cr3t/key+XYZ", path_style: true}

        """

    @Test("backup.s3 is kept root-only in /etc/dibkit/backup.json (restic's repository and options, the key derived from the secret, never printed) and the timer gets the schedule")
    func backupSettingsKeptRootOnly() throws {
        let root = try Self.root(userData: Self.s3)
        defer { root.remove() }
        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("s3cr3t"))
        #expect(try root.mode("/etc/dibkit/backup.json") == 0o600)
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(root.read("/etc/dibkit/backup.json").utf8)) as? [String: Any])
        #expect(stored["repository"] as? String == "s3:http://10.0.2.2:9000/dibkit-backups/redis/prod")
        #expect(stored["options"] as? [String] == ["s3.region=us-east-1", "s3.bucket-lookup=path"])
        #expect(stored["database"] as? String == "redis" && stored["keep"] as? Int == 3)
        let key = try #require(stored["key"] as? String)
        #expect(key.count == 64 && !key.contains("s3cr3t"))
        #expect(try root.read("/etc/systemd/system/dibkit-backup.timer.d/50-schedule.conf").contains("OnCalendar=\nOnCalendar=*-*-* 03:00\n"))
        #expect(result.output.contains("would run: systemctl enable --quiet dibkit-backup.timer"))

        // The same user-data elsewhere derives the same key: a new instance opens the repository.
        let again = try Self.root(userData: Self.s3)
        defer { again.remove() }
        #expect(try again.runFirstboot().status == 0)
        let other = try #require(try JSONSerialization.jsonObject(with: Data(again.read("/etc/dibkit/backup.json").utf8)) as? [String: Any])
        #expect(other["key"] as? String == key)
    }

    @Test("Bad backup, restore_from and data_disk values stop first boot with what is wrong, the instance unmarked", arguments: [
        ("  backup: {schedule: \"every other tuesday\", local: /srv/backups}\n", "backup.schedule 'every other tuesday' is not a systemd OnCalendar expression"),
        ("  backup: {s3: {endpoint: \"http://s3.local\", bucket: b-1, access_key: a, secret_key: s}, local: /srv}\n", "backup needs exactly one place"),
        ("  backup: {s3: {endpoint: \"http://s3.local\", bucket: b-1, access_key: a}}\n", "backup.s3 needs secret_key"),
        ("  backup: {s3: {endpoint: \"http://s3.local/path\", bucket: b-1, access_key: a, secret_key: s}}\n", "must be an http(s) URL of the S3 service with no path"),
        ("  backup: {keep: 0, local: /srv/backups}\n", "backup.keep 0 must be an integer from 1 to 10000"),
        ("  backup: {local: /srv/backups, retention: 3}\n", "unknown backup setting(s) retention"),
        ("  restore_from: latest\n", "restore_from needs `backup:` in the same user-data"),
        ("  backup: {local: /srv/backups}\n  restore_from: yesterday\n", "restore_from 'yesterday' must be `latest` or a backup id"),
        ("  data_disk: [/dev/vdb]\n", "`dibkit: {data_disk: ...}` must be a single value"),
        ("  data_disk: /srv/disk\n", "data_disk '/srv/disk' must be `auto`"),
    ])
    func badValuesAreRefused(line: String, message: String) throws {
        let root = try Self.root(userData: "#cloud-config\ndibkit:\n" + line)
        defer { root.remove() }
        let result = try root.runFirstboot()
        #expect(result.status == 1)
        #expect(result.output.contains(message), "\(result.output)")
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
    }

    @Test("An image whose database has no backup tool (MySQL) refuses `backup:` at first boot instead of ignoring it")
    func backupRefusedWithoutTheElement() throws {
        let root = try FakeRoot(database: "mysql")
        defer { root.remove() }
        try root.setInstance("iid-mysql-backup")
        try root.setUserData("#cloud-config\ndibkit:\n  backup: {local: /srv/backups}\n")
        let result = try root.runFirstboot()
        #expect(result.status == 1)
        #expect(result.output.contains("`dibkit: {backup: ...}`: this image has no backups"), "\(result.output)")
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
    }

    @Test("A local repository gets a generated key, kept in /etc/dibkit/credentials (0600) as BACKUP_ENCRYPTION_KEY and reused by the next run")
    func localRepositoryKey() throws {
        let root = try Self.root(userData: "#cloud-config\ndibkit:\n  backup: {local: /srv/backups}\n")
        defer { root.remove() }
        #expect(try root.runFirstboot().status == 0)
        let credentials = try root.read("/etc/dibkit/credentials")
        #expect(try root.mode("/etc/dibkit/credentials") == 0o600)
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(root.read("/etc/dibkit/backup.json").utf8)) as? [String: Any])
        let key = try #require(stored["key"] as? String)
        #expect(credentials.contains("BACKUP_ENCRYPTION_KEY=\(key)\n"))
        #expect(stored["repository"] as? String == "/srv/backups")
        try root.setInstance("iid-backup-2")
        #expect(try root.runFirstboot().status == 0)
        let again = try #require(try JSONSerialization.jsonObject(with: Data(root.read("/etc/dibkit/backup.json").utf8)) as? [String: Any])
        #expect(again["key"] as? String == key)
    }
}
