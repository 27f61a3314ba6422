import ImageContents
import Testing

@Suite("dpkg's status file: which packages are installed, at which version")
struct InstalledPackagesTests {
    static let status = """
        Package: redis-server
        Status: install ok installed
        Priority: optional
        Architecture: amd64
        Version: 5:8.0.2-3
        Depends: redis-tools (= 5:8.0.2-3)
        Description: Persistent key-value database with network interface
         Redis is a key-value database in a similar vein to memcache but the dataset
         is non-volatile.
         .
         Version: 99 (a continuation line is not a field)

        Package: held
        Status: hold ok installed
        Architecture: all
        Version: 1.0

        Package: purged-but-configured
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 2.0

        Package: broken
        Status: install reinstreq half-installed
        Architecture: amd64
        Version: 3.0

        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Version: 2.41-12

        Package: libc6
        Status: install ok installed
        Architecture: i386
        Version: 2.41-12
        """

    @Test("installed and held packages count; config-files and half-installed ones do not; continuation lines are no fields")
    func installedOnly() {
        #expect(InstalledPackages.parse(Self.status) == [
            "redis-server": "5:8.0.2-3", "held": "1.0", "libc6:amd64": "2.41-12", "libc6:i386": "2.41-12",
        ])
    }

    @Test("a blank line of spaces parts stanzas; trailing spaces and a missing final newline do no harm")
    func looseLayout() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1  \n  \nPackage: b\nVersion: 2\nStatus: install ok installed"
        #expect(InstalledPackages.parse(text) == ["a": "1", "b": "2"])
        #expect(InstalledPackages.parse("").isEmpty)
    }
}
