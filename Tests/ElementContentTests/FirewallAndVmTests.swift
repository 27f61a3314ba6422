import Foundation
import TestSupport
import Testing

/// The firewall ruleset as nft parses it, and the vm element's guard on the root UUID.
@Suite struct FirewallAndVmTests {
    static var canCheckRulesets: Bool { commandExists("nft") && getuid() == 0 }

    /// The staged ruleset with its include pointed into `root`, after the first-boot run wrote redis.nft.
    @Test(.enabled(if: canCheckRulesets, "nft -c needs the nft command and root (CAP_NET_ADMIN)"))
    func generatedRulesetPassesNftCheck() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-nft")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    port: 6400\n")
        let run = try root.runFirstboot()
        try #require(run.status == 0, "\(run.output)")

        let staged = try root.read("/usr/share/dibkit/firewall/nftables.conf")
        #expect(staged.contains("policy drop;"))
        #expect(staged.contains("tcp dport 22 accept"))
        let ruleset = staged.replacingOccurrences(
            of: "include \"/etc/nftables.d/*.nft\"", with: "include \"\(root.path("/etc/nftables.d"))/*.nft\"")
        #expect(ruleset != staged)
        try root.write("/etc/nftables.conf", ruleset)

        let check = try runCommand(["nft", "-c", "-f", root.path("/etc/nftables.conf")])
        #expect(check.status == 0, "\(check.output)")

        // A broken rule file is caught by the same check (so the check does read the include).
        try root.write("/etc/nftables.d/broken.nft", "add rule inet filter input tcp dport 99999 accept\n")
        let broken = try runCommand(["nft", "-c", "-f", root.path("/etc/nftables.conf")])
        #expect(broken.status != 0)
    }

    @Test(.enabled(if: canCheckRulesets, "nft -c needs the nft command and root (CAP_NET_ADMIN)"))
    func rulesetWithNoDatabaseFilesPassesNftCheck() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        let staged = try root.read("/usr/share/dibkit/firewall/nftables.conf")
        try FileManager.default.createDirectory(
            atPath: root.path("/etc/nftables.d"), withIntermediateDirectories: true)
        try root.write("/etc/nftables.conf", staged.replacingOccurrences(
            of: "/etc/nftables.d/", with: root.path("/etc/nftables.d/")))
        let check = try runCommand(["nft", "-c", "-f", root.path("/etc/nftables.conf")])
        #expect(check.status == 0, "\(check.output)")
    }

    @Test(arguments: ["", "not-a-uuid", "0b3e1c2a-1111-4222-8333-44445555666"])
    func fstabHookRefusesAMissingOrMalformedRootUUID(uuid: String) throws {
        let hook = elementsDirectory.appendingPathComponent("vm/post-install.d/11-vm-fstab").path
        let result = try runCommand(["bash", hook], environment: ["DIBKIT_ROOT_UUID": uuid])
        #expect(result.status == 1)
        #expect(result.output.contains("is not a filesystem UUID"))
    }

    @Test func debianSourcesHookRefusesAnEmptyMirror() throws {
        let hook = elementsDirectory.appendingPathComponent("debian/pre-install.d/01-debian-apt-sources").path
        let result = try runCommand(
            ["bash", hook], environment: ["DIB_DISTRIBUTION_MIRROR": "", "DIB_RELEASE": "bookworm"])
        #expect(result.status == 1)
        #expect(result.output.contains("DIB_DISTRIBUTION_MIRROR is empty"))
    }
}
