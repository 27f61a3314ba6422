import Foundation
import TestSupport
import Testing

/// The repository's built-in `elements/` folder.
let elementsDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("elements")

/// A temporary tree standing for an image's `/`, holding the `static/` files of the first-boot and firewall
/// elements and of `database` (Redis by default) and the elements it depends on, and an `/etc/group` with the
/// groups the hooks chown to: `redis` and `valkey` (the caller's own gid, so the hook may chown to it without
/// privileges), and `postgres`, `ssl-cert` and `mysql` with the host's gids when the host has them (so the host's servers can read what the hooks
/// write), and an `/etc/passwd` with users `redis` and `valkey` (the caller's uid, owners of Sentinel's file).
/// Removed by `remove()`.
struct FakeRoot {
    let url: URL
    /// The gid of groups `redis` and `valkey`.
    let serverGroup: gid_t = getgid()

    init(database: String = "redis") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dibkit-fakeroot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let dependencies = (try? String(
            contentsOf: elementsDirectory.appendingPathComponent("\(database)/element-deps"), encoding: .utf8)) ?? ""
        let elements = Set(["firstboot", "firewall", database] + dependencies.split(separator: "\n").map(String.init))
        for element in elements.sorted() where FileManager.default.fileExists(
            atPath: elementsDirectory.appendingPathComponent("\(element)/static").path) {
            let source = elementsDirectory.appendingPathComponent("\(element)/static").path
            let copy = try runCommand(["cp", "-a", source + "/.", url.path])
            try #require(copy.status == 0, "copying \(source): \(copy.output)")
        }
        let hostGroups = ["postgres", "ssl-cert", "mysql"].map { name in
            "\(name):x:\(getgrnam(name)?.pointee.gr_gid ?? getgid()):\n"
        }
        try write("/etc/group", "root:x:0:\nredis:x:\(serverGroup):\nvalkey:x:\(serverGroup):\n" + hostGroups.joined())
        try write("/etc/passwd", ["root:x:0:0::/root:/bin/sh", "redis:x:\(getuid()):\(serverGroup)::/var/lib/redis:/bin/false",
                                  "valkey:x:\(getuid()):\(serverGroup)::/var/lib/valkey:/bin/false"].joined(separator: "\n") + "\n")
    }

    /// The path of `absolute` inside the tree.
    func path(_ absolute: String) -> String {
        url.path + absolute
    }

    func write(_ absolute: String, _ text: String) throws {
        try write(absolute, Data(text.utf8))
    }

    func write(_ absolute: String, _ data: Data) throws {
        let file = URL(fileURLWithPath: path(absolute))
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
    }

    func read(_ absolute: String) throws -> String {
        try String(contentsOfFile: path(absolute), encoding: .utf8)
    }

    func exists(_ absolute: String) -> Bool {
        FileManager.default.fileExists(atPath: path(absolute))
    }

    /// The permission bits of `absolute`.
    func mode(_ absolute: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path(absolute))
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// The group id of `absolute`.
    func group(_ absolute: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path(absolute))
        return (attributes[.groupOwnerAccountID] as? NSNumber)?.intValue ?? -1
    }

    /// Sets cloud-init's instance-id.
    func setInstance(_ identifier: String) throws {
        try write("/var/lib/cloud/data/instance-id", identifier + "\n")
    }

    /// Sets the instance's raw user-data.
    func setUserData(_ text: String) throws {
        try write("/var/lib/cloud/instance/user-data.txt", text)
    }

    /// Runs the first-boot runner on this tree, with systemctl calls only logged, and `environment` added.
    func runFirstboot(environment: [String: String] = [:]) throws -> CommandResult {
        try runCommand(["python3", path("/usr/lib/dibkit/firstboot"), "--root", url.path, "--no-systemctl"],
                       environment: environment)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs the first-boot runner on a fresh fake root for `database` whose user-data sets `setting` (one YAML
/// line) in the `dibkit: {database: ...}` section, and checks that the hook refused it before changing
/// anything: exit 1, `message` and the hook's failure in the output, the instance unmarked, no port opened.
func expectHookRejects(
    _ database: String, setting: String, message: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let root = try FakeRoot(database: database)
    defer { root.remove() }
    try root.setInstance("iid-invalid")
    try root.setUserData("#cloud-config\ndibkit:\n  \(database):\n    \(setting)\n")

    let result = try root.runFirstboot()
    #expect(result.status == 1, sourceLocation: sourceLocation)
    #expect(result.output.contains(message), "\(result.output)", sourceLocation: sourceLocation)
    #expect(result.output.contains("hook 50-\(database) failed"), sourceLocation: sourceLocation)
    #expect(!root.exists("/var/lib/dibkit/firstboot-instance"), sourceLocation: sourceLocation)
    #expect(!root.exists("/etc/nftables.d/\(database).nft"), sourceLocation: sourceLocation)
}
