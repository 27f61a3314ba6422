import Foundation
import ImageContents
import TestSupport
import Testing

@Suite("ImageSnapshot: /etc entries with owners by the image's own names, and the services its links enable")
struct SnapshotTests {
    static let accounts = [
        EtcFile(path: "/etc/passwd", content: .regular(Data("root:x:0:0:root:/root:/bin/sh\nredis:x:100:101::/var/lib/redis:/usr/sbin/nologin\n".utf8)), permissions: 0o644),
        EtcFile(path: "/etc/group", content: .regular(Data("root:x:0:\nredis:x:101:\n".utf8)), permissions: 0o644),
    ]

    static func link(_ path: String, _ target: String) -> EtcFile {
        EtcFile(path: path, content: .symbolicLink(target: target), permissions: 0o777)
    }

    @Test("a file by SHA-256, mode in octal and owner by name (a number where the image names nobody); a link by target")
    func entries() throws {
        let snapshot = ImageSnapshot(dpkgStatus: nil, etc: Self.accounts + [
            EtcFile(path: "/etc/redis/redis.conf", content: .regular(Data("port 6379\n".utf8)), permissions: 0o640, uid: 100, gid: 101),
            EtcFile(path: "/etc/sudoers.d/x", content: .regular(Data()), permissions: 0o4440, uid: 0, gid: 4242),
            Self.link("/etc/localtime", "/usr/share/zoneinfo/Etc/UTC"),
        ])
        #expect(snapshot.packages.isEmpty)
        #expect(snapshot.etc["/etc/redis/redis.conf"] == EtcEntry(
            kind: .file, content: try sha256("port 6379\n"), mode: "0640", owner: "redis:redis"))
        #expect(snapshot.etc["/etc/sudoers.d/x"]?.mode == "4440")
        #expect(snapshot.etc["/etc/sudoers.d/x"]?.owner == "root:4242")
        #expect(snapshot.etc["/etc/sudoers.d/x"]?.content == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(snapshot.etc["/etc/localtime"] == EtcEntry(kind: .symlink, content: "/usr/share/zoneinfo/Etc/UTC", mode: "0777", owner: "root:root"))
    }

    @Test("services: links in .wants and .requires folders enable, links to /dev/null mask; other links and files do neither")
    func services() {
        let snapshot = ImageSnapshot(dpkgStatus: nil, etc: [
            Self.link("/etc/systemd/system/multi-user.target.wants/redis-server.service", "/usr/lib/systemd/system/redis-server.service"),
            Self.link("/etc/systemd/system/sysinit.target.wants/nftables.service", "/usr/lib/systemd/system/nftables.service"),
            Self.link("/etc/systemd/system/local-fs.target.requires/data.mount", "/etc/systemd/system/data.mount"),
            Self.link("/etc/systemd/system/apt-daily.timer", "/dev/null"),
            Self.link("/etc/systemd/system/sshd.service", "/usr/lib/systemd/system/ssh.service"),
            Self.link("/etc/systemd/user/sockets.target.wants/ssh-agent.socket", "/usr/lib/systemd/user/ssh-agent.socket"),
            EtcFile(path: "/etc/systemd/system/data.mount", content: .regular(Data("[Mount]\n".utf8)), permissions: 0o644),
            EtcFile(path: "/etc/systemd/system/multi-user.target.wants/not-a-link.service", content: .regular(Data()), permissions: 0o644),
        ])
        #expect(snapshot.services.links == [
            ServiceLink(unit: "redis-server.service", folder: "multi-user.target.wants"),
            ServiceLink(unit: "nftables.service", folder: "sysinit.target.wants"),
            ServiceLink(unit: "data.mount", folder: "local-fs.target.requires"),
        ])
        #expect(snapshot.services.masked == ["apt-daily.timer"])
        #expect(ServiceLink(unit: "data.mount", folder: "local-fs.target.requires").relation == "required by local-fs.target")
    }
}
