import Foundation
import Testing

/// The repository's built-in `elements/` folder.
let elementsDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("elements")

/// A temporary tree standing for an image's `/`, holding the `static/` files of the first-boot, Redis and
/// firewall elements, an `/etc/group` with a `redis` group (the caller's own gid, so the hook may chown to
/// it without privileges) and cloud-init's instance-id. Removed by `remove()`.
struct FakeRoot {
    let url: URL
    let redisGroup: gid_t = getgid()

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dibkit-fakeroot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for element in ["firstboot", "redis", "firewall"] {
            let source = elementsDirectory.appendingPathComponent("\(element)/static").path
            let copy = try runCommand(["cp", "-a", source + "/.", url.path])
            try #require(copy.status == 0, "copying \(source): \(copy.output)")
        }
        try write("/etc/group", "root:x:0:\nredis:x:\(redisGroup):\n")
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

    /// Runs the first-boot runner on this tree, with systemctl calls only logged.
    func runFirstboot() throws -> CommandResult {
        try runCommand(["python3", path("/usr/lib/dibkit/firstboot"), "--root", url.path, "--no-systemctl"])
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
