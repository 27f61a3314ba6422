public import Foundation

/// A test CA made with openssl, and server certificates it signs: what an operator hands instances as
/// `tls: {cert, key, ca}` so that they verify each other. Removed by `remove()`.
public struct TestCertificates {
    public let folder: URL
    /// The CA's certificate (PEM).
    public let ca: String

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-ca-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-sha256", "-days", "30", "-subj", "/CN=dibkit test CA",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                          "-keyout", folder.appendingPathComponent("ca.key").path,
                          "-out", folder.appendingPathComponent("ca.pem").path])
        ca = try String(contentsOf: folder.appendingPathComponent("ca.pem"), encoding: .utf8)
    }

    /// A new key and a certificate for `name` signed by the CA, with `addresses` (IP), `name` and localhost (DNS)
    /// as subject alternative names: (cert, key) PEM.
    public func issue(_ name: String, addresses: [String] = ["127.0.0.1"]) throws -> (cert: String, key: String) {
        let key = folder.appendingPathComponent("\(name).key"), request = folder.appendingPathComponent("\(name).csr")
        let cert = folder.appendingPathComponent("\(name).pem"), extensions = folder.appendingPathComponent("\(name).ext")
        let names = (["DNS:\(name)", "DNS:localhost"] + addresses.map { "IP:\($0)" }).joined(separator: ",")
        try Data("subjectAltName=\(names)\nextendedKeyUsage=serverAuth,clientAuth\n".utf8).write(to: extensions)
        try Self.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-subj", "/CN=\(name)", "-keyout", key.path, "-out", request.path])
        try Self.openssl(["x509", "-req", "-in", request.path, "-CA", folder.appendingPathComponent("ca.pem").path,
                          "-CAkey", folder.appendingPathComponent("ca.key").path, "-CAcreateserial", "-days", "30",
                          "-sha256", "-extfile", extensions.path, "-out", cert.path])
        return (try String(contentsOf: cert, encoding: .utf8), try String(contentsOf: key, encoding: .utf8))
    }

    /// The CA certificate's path (for clients on the host).
    public var caFile: String { folder.appendingPathComponent("ca.pem").path }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    private static func openssl(_ arguments: [String]) throws {
        let result = try runCommand(["openssl"] + arguments)
        guard result.status == 0 else {
            throw CommandError(description: "openssl \(arguments.first ?? "") failed: \(result.output)")
        }
    }
}

/// `text` (lines) as a YAML literal block scalar (`|`), each line indented by `indent` spaces.
public func yamlBlock(_ text: String, indent: Int) -> String {
    "|\n" + text.split(separator: "\n").map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
}
