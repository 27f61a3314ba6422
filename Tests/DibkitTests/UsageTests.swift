import Foundation
import TestSupport
import Testing

/// ArgumentParser's usage errors: exit 64 with the reason, before anything runs.
@Suite("The binary's usage errors")
struct UsageTests {
    @Test("build: a bad size, no element, an unknown format", arguments: [
        (["build", "redis", "--size", "lots"], "--size 'lots' is not a size"),
        (["build"], "Missing expected argument"),
        (["build", "redis", "-t", "vhd"], "vhd"),
        (["build", "redis", "-c", "-e"], "-c and -e exclude each other"),
    ])
    func build(arguments: [String], message: String) throws {
        let result = try DibkitBinary.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("upload: unknown cloud, bad timeout, --allow without --firewall, no --space, a cloud's options on the other", arguments: [
        (["--cloud", "aws", "--region", "nyc3", "--space", "s-1"], "aws"),
        (["--cloud", "digitalocean", "--region", "nyc3", "--space", "s-1", "--timeout", "soon"], "--timeout 'soon' is not a duration"),
        (["--cloud", "digitalocean", "--region", "nyc3", "--space", "s-1", "--allow", "10.0.0.0/8"], "--allow goes with --firewall"),
        (["--cloud", "digitalocean", "--region", "nyc3"], "--space NAME"),
        (["--cloud", "openstack", "--space", "s-1"], "--space is for --cloud digitalocean"),
        (["--cloud", "openstack", "--firewall"], "--firewall is for --cloud digitalocean"),
        (["--cloud", "digitalocean", "--region", "nyc3", "--space", "s-1", "--import"], "--import is for --cloud openstack"),
        (["--cloud", "digitalocean", "--region", "nyc3", "--space", "s-1", "--property", "a=b"], "--property is for --cloud openstack"),
        (["--cloud", "openstack", "--property", "novalue"], "--property novalue is not key=value"),
        (["--cloud", "digitalocean", "--region", "nyc3", "--space", "s-1", "--trove-transport-url-file", "f"],
         "--trove-transport-url-file is for --cloud openstack"),
    ])
    func upload(arguments: [String], message: String) throws {
        let result = try DibkitBinary.run(["upload", "x.qcow2"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

extension UsageTests {
    @Test("upload --cloud openstack: Trove and keypair options that need another are refused", arguments: [
        ["--datastore", "redis"], ["--datastore-version", "7.0"], ["--datastore-manager", "redis"], ["--not-default"],
        ["--login-user", "debian"],
    ])
    func openStackExtras(arguments: [String]) throws {
        let result = try DibkitBinary.run(["upload", "--cloud", "openstack", "x.qcow2"] + arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("go"), "\(result.stderr)")
    }
}
