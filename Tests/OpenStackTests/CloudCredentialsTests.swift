import Foundation
import OpenStack
import TestSupport
import Testing

@Suite("Cloud credentials: clouds.yaml and OS_* variables")
struct CloudCredentialsTests {
    final class Folder {
        private let temporary: TemporaryFolder
        var url: URL { temporary.url }

        init() throws { temporary = try TemporaryFolder() }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: url.appendingPathComponent(name))
        }
    }

    static let twoClouds = """
        clouds:
          one:
            auth: {auth_url: "http://one:5000/v3", username: u1, password: p1, project_name: proj}
            region_name: R1
          two:
            auth_type: v3applicationcredential
            auth: {auth_url: "http://two:5000", application_credential_id: abc}
            interface: internal

        """

    @Test("OS_* variables make the cloud envvars when no cloud is named")
    func environment() throws {
        let credentials = try CloudCredentials.load(environment: [
            "OS_AUTH_URL": "http://keystone:5000/v3", "OS_USERNAME": "admin", "OS_PASSWORD": "pw",
            "OS_TENANT_NAME": "legacy", "OS_REGION_NAME": "RegionOne", "OS_INTERFACE": "internal",
        ], workingDirectory: URL(fileURLWithPath: "/nonexistent"))
        #expect(credentials.name == "envvars")
        #expect(credentials.auth["auth_url"] == "http://keystone:5000/v3" && credentials.auth["password"] == "pw")
        #expect(credentials.auth["project_name"] == "legacy")
        #expect(credentials.region == "RegionOne" && credentials.interface == "internal")
    }

    @Test("clouds.yaml in the working folder; OS_CLOUD or the argument picks; secure.yaml adds secrets")
    func cloudsFile() throws {
        let folder = try Folder()
        try folder.write("clouds.yaml", Self.twoClouds)
        try folder.write("secure.yaml", "clouds:\n  two:\n    auth: {application_credential_secret: s3cret}\n")
        let home = ["HOME": folder.url.appendingPathComponent("home").path]
        let one = try CloudCredentials.load(environment: home.merging(["OS_CLOUD": "one"]) { $1 }, workingDirectory: folder.url)
        #expect(one.name == "one" && one.auth["username"] == "u1" && one.region == "R1" && one.interface == "public")
        let two = try CloudCredentials.load(cloud: "two", environment: home, workingDirectory: folder.url)
        #expect(two.authType == "v3applicationcredential" && two.interface == "internal")
        #expect(two.auth["application_credential_secret"] == "s3cret" && two.auth["application_credential_id"] == "abc")
        #expect(throws: OpenStackError.self) { try CloudCredentials.load(environment: home, workingDirectory: folder.url) }
        #expect(throws: OpenStackError.self) { try CloudCredentials.load(cloud: "three", environment: home, workingDirectory: folder.url) }
    }

    @Test("OS_CLIENT_CONFIG_FILE comes before the working folder; nothing at all is an error naming the places")
    func searchOrder() throws {
        let folder = try Folder()
        try folder.write("clouds.yaml", Self.twoClouds)
        try folder.write("other.yaml", "clouds:\n  only:\n    auth: {auth_url: 'http://x', username: a, password: b, project_name: c}\n")
        let home = ["HOME": folder.url.appendingPathComponent("home").path]
        let picked = try CloudCredentials.load(
            environment: home.merging(["OS_CLIENT_CONFIG_FILE": folder.url.appendingPathComponent("other.yaml").path]) { $1 },
            workingDirectory: folder.url)
        #expect(picked.name == "only")
        let empty = try Folder()
        #expect { try CloudCredentials.load(environment: ["HOME": empty.url.path], workingDirectory: empty.url) } throws: { error in
            "\(error)".contains(empty.url.appendingPathComponent("clouds.yaml").path)
        }
    }

    @Test("a YAML error in clouds.yaml or secure.yaml names the file, line and problem, never the line's text",
          arguments: ["clouds.yaml", "secure.yaml"])
    func yamlErrorHidesTheLine(file: String) throws {
        let folder = try Folder()
        let password = "pw-\(UUID().uuidString.prefix(8))"
        try folder.write("clouds.yaml", Self.twoClouds)
        try folder.write(file, "clouds:\n  one:\n    auth:\n      password: \"\(password)\n      username: u1\n")
        let home = ["HOME": folder.url.appendingPathComponent("home").path]
        #expect { try CloudCredentials.load(cloud: "one", environment: home, workingDirectory: folder.url) } throws: { error in
            let text = "\(error)"
            return !text.contains(password) && text.contains(folder.url.appendingPathComponent(file).path)
                && text.contains("line 6, column 1") && text.contains("unexpected end of stream")
        }
    }
}
