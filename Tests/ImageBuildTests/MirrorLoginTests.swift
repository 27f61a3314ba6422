import Foundation
import TestSupport
import Testing

@testable import ImageBuild

/// A mirror URL with a login: apt gets the login from auth.conf.d while building; the manifest, the hooks'
/// variables and the image's apt sources get the URL without it (nothing is built).
@Suite("build: a mirror's login reaches apt, never the manifest or the image")
struct MirrorLoginTests {
    static let mirror = "http://builder:pa%40ss-\(UUID().uuidString.prefix(6))@mirror.example:8080/debian"
    static var password: String { String(mirror.split(separator: ":")[2].split(separator: "@")[0]).removingPercentEncoding! }

    @Test("strip takes out USER:PASSWORD@ or USER@ and nothing else", arguments: [
        (mirror, "http://mirror.example:8080/debian"),
        ("https://token@deb.example/debian/", "https://deb.example/debian/"),
        ("http://deb.debian.org/debian", "http://deb.debian.org/debian"),
        ("http://deb.example/pool@2/debian", "http://deb.example/pool@2/debian"),
        ("file:/srv/mirror", "file:/srv/mirror"),
    ])
    func strip(url: String, stripped: String) {
        #expect(MirrorLogin.strip(url) == stripped)
    }

    @Test("the login becomes an auth.conf line for the URL without it, decoded; one apt cannot hold is refused")
    func authConf() throws {
        let text = try #require(try MirrorLogin.authConf(for: [Self.mirror, "http://security.example/debian-security"]))
        #expect(String(decoding: text, as: UTF8.self)
            == "machine http://mirror.example:8080/debian login builder password \(Self.password)\n")
        #expect(try MirrorLogin.authConf(for: ["http://deb.debian.org/debian"]) == nil)
        let whiteSpace = BuildError.badMirror(
            url: "http://m.example/debian", reason: "its user or password holds white space, which apt's auth.conf cannot hold")
        #expect(throws: whiteSpace) {
            try MirrorLogin.authConf(for: ["http://u:two%20words@m.example/debian"])
        }
        #expect(BuildError.badMirror(url: "u", reason: "r").isBadInput)
    }

    @Test("the base root's apt sources and cache key hold the mirrors without their logins")
    func sourceLines() throws {
        let recipe = BaseRoot.Recipe(
            release: "bookworm", arch: "amd64", mirror: Self.mirror, securityMirror: "http://u:sec-pw@security.example/debian-security",
            variant: "minbase", components: ["main"], include: [])
        var plain = recipe
        (plain.mirror, plain.securityMirror) = ("http://mirror.example:8080/debian", "http://security.example/debian-security")
        #expect(recipe.sourceLines == [
            "deb http://mirror.example:8080/debian bookworm main", "deb http://mirror.example:8080/debian bookworm-updates main",
            "deb http://security.example/debian-security bookworm-security main",
        ])
        #expect(recipe.cacheKey == plain.cacheKey, "the cache does not depend on the login")
        var filtered = plain
        filtered.pathFilter = ["path-exclude=/usr/share/man/*"]
        #expect(filtered.cacheKey != plain.cacheKey, "dpkg's path filters change the base root")
        let logins = String(decoding: try #require(try recipe.aptLogins()), as: UTF8.self)
        #expect(logins.contains("machine http://security.example/debian-security login u password sec-pw\n"))
        #expect(try plain.aptLogins() == nil)
    }

    @Test("on a root: the bootstrap's hooks and the build put the logins in auth.conf.d (0600); they go before the image is made")
    func loginsOnARoot() throws {
        let folder = try TemporaryFolder()
        let root = folder.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        let logins = try #require(try MirrorLogin.authConf(for: [Self.mirror]))
        let file = root.appendingPathComponent(MirrorLogin.authFile)

        // mmdebstrap runs each hook as `sh -c HOOK exec ROOT`; the logins come from a host file, not the command line.
        let host = folder.appendingPathComponent("logins")
        try logins.write(to: host)
        let hooks = MirrorLogin.bootstrapHooks(file: host)
        #expect(!hooks.joined().contains(Self.password))
        for (hook, exists) in zip(hooks, [true, false]) {
            let body = String(hook[hook.index(after: try #require(hook.firstIndex(of: "=")))...])
            let run = try runCommand(["sh", "-c", body, "exec", root.path])
            #expect(run.status == 0, "\(run.output)")
            #expect(FileManager.default.fileExists(atPath: file.path) == exists)
            if exists {
                #expect(try Data(contentsOf: file) == logins)
                #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
            }
        }

        try MirrorLogin.install(logins, in: root)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
        #expect(try Data(contentsOf: file) == logins)
        try Sysprep.clean(root: root)
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }
}
