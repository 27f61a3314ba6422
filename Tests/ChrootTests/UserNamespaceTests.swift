import Foundation
import Testing

@testable import Chroot

/// What an unprivileged build checks before it enters its user namespace, and the PATH it runs with there.
@Suite("Unprivileged builds: subordinate ids and PATH")
struct UserNamespaceTests {
    static let subuid = """
        alice:100000:65536
        1001:165536:1000
        carol:300000:65536
        carol:500000:65536

        """

    @Test("the first range of a user, by name or by id, is the one counted", arguments: [
        ("alice", 1000 as uid_t, 65_536 as Int?), ("bob", 1001, 1_000), ("carol", 1002, 65_536), ("dave", 1003, nil),
    ])
    func subordinateRanges(name: String, uid: uid_t, expected: Int?) {
        #expect(UserNamespace.subordinateIDs(of: name, uid: uid, in: Self.subuid) == expected)
    }

    @Test("root's tool folders join a user's PATH once, after the user's own")
    func administrationTools() {
        #expect(UserNamespace.pathWithAdministrationTools("/usr/local/bin:/usr/bin:/bin")
                == "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin")
        #expect(UserNamespace.pathWithAdministrationTools("/usr/sbin:/usr/bin") == "/usr/sbin:/usr/bin:/usr/local/sbin:/sbin")
        #expect(UserNamespace.pathWithAdministrationTools(nil) == "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin")
    }

    @Test("root needs no namespace, and neither does the dibkit already inside one")
    func whenNeeded() {
        #expect(UserNamespace.isNeeded(environment: [:]) == (geteuid() != 0))
        #expect(!UserNamespace.isNeeded(environment: [UserNamespace.marker: "1"]))
    }
}
