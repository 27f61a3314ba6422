import Testing

/// The first-boot hooks of the vendor-only databases (`50-mysql`, `50-mongodb`) refuse bad settings before
/// they touch anything. Their server work is not run here: MySQL and MongoDB are not in Debian.
@Suite struct VendorHookTests {
    @Test(arguments: [
        ("mysql", "port: 0", "mysql.port 0 is not a TCP port"),
        ("mysql", "user: mysql.sys", "mysql.user 'mysql.sys' must be a lower-case name"),
        ("mysql", "database: information_schema", "mysql.database 'information_schema' must be 1 to 64"),
        ("mysql", "root_password: abcdefgh1", "unknown mysql setting(s) root_password"),
        ("mongodb", "bind_ip: \"10.0.0.1, example.org\"", "mongodb.bind_ip entry 'example.org' is not an IP address"),
        ("mongodb", "admin_user: \"a b\"", "mongodb.admin_user 'a b' must be 1 to 64"),
        ("mongodb", "admin_password: short", "mongodb.admin_password must be 8 to 512"),
        ("mongodb", "port: 99999", "mongodb.port 99999 is not a TCP port"),
    ])
    func rejectsBadValuesBeforeTouchingTheServer(database: String, setting: String, message: String) throws {
        try expectHookRejects(database, setting: setting, message: message)
    }
}
