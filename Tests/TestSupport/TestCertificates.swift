public import Foundation

/// A test CA made with openssl, and server certificates it signs: what an operator hands instances as
/// `tls: {cert, key, ca}` so that they verify each other. Removed by `remove()`.
public struct TestCertificates {
    public let folder: URL
    /// The CA's certificate (PEM).
    public let caPEM: String

    /// A server certificate (PEM) and its key (PEM).
    public struct Issued: Sendable {
        public let cert: String
        public let key: String
    }

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-ca-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-sha256", "-days", "30", "-subj", "/CN=dibkit test CA",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                          "-keyout", folder.appendingPathComponent("ca.key").path,
                          "-out", folder.appendingPathComponent("ca.pem").path])
        caPEM = try String(contentsOf: folder.appendingPathComponent("ca.pem"), encoding: .utf8)
    }

    /// A certificate for `name` with `addresses` (IP) and `name` (DNS) as subject alternative names.
    public func issue(_ name: String, addresses: [String]) throws -> Issued {
        let key = folder.appendingPathComponent("\(name).key"), request = folder.appendingPathComponent("\(name).csr")
        let cert = folder.appendingPathComponent("\(name).pem"), extensions = folder.appendingPathComponent("\(name).ext")
        let names = (["DNS:\(name)"] + addresses.map { "IP:\($0)" }).joined(separator: ",")
        try Data("subjectAltName=\(names)\nextendedKeyUsage=serverAuth,clientAuth\n".utf8).write(to: extensions)
        try Self.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-subj", "/CN=\(name)", "-keyout", key.path, "-out", request.path])
        try Self.openssl(["x509", "-req", "-in", request.path, "-CA", folder.appendingPathComponent("ca.pem").path,
                          "-CAkey", folder.appendingPathComponent("ca.key").path, "-CAcreateserial", "-days", "30",
                          "-sha256", "-extfile", extensions.path, "-out", cert.path])
        return Issued(cert: try String(contentsOf: cert, encoding: .utf8), key: try String(contentsOf: key, encoding: .utf8))
    }

    /// The CA certificate's path (for clients on the host).
    public var caFile: URL { folder.appendingPathComponent("ca.pem") }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    /// `pem` as a YAML block scalar indented by `indent` spaces under its key (`key: |` then the lines).
    public static func yamlBlock(_ pem: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return "|\n" + pem.split(separator: "\n").map { pad + $0 }.joined(separator: "\n")
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try runCommand(["openssl"] + arguments)
        guard result.status == 0 else {
            throw CommandError(description: "openssl \(arguments.first ?? "") failed: \(result.output)")
        }
    }
}
