import Foundation
import HostProcesses

/// The login a mirror URL may carry, `http://USER:PASSWORD@host/debian`. apt gets it from a file in
/// `/etc/apt/auth.conf.d` while the image is built (`authFile`, which sysprep removes); everything that
/// outlives the build or is shown — the manifest, the hooks' variables and so the image's apt sources, the
/// base root's cache key — gets the URL without it (`strip`).
struct MirrorLogin {
    /// The URL without its login: apt's `machine` (scheme, host, port, path; see apt_auth.conf(5)).
    let machine: String
    let user: String
    let password: String

    /// Where apt reads the logins from during the build, relative to the root.
    static let authFile = "etc/apt/auth.conf.d/dibkit-mirror.conf"

    /// `url` without the `USER:PASSWORD@` (or `USER@`) of its authority; `url` itself when it has none.
    static func strip(_ url: String) -> String {
        guard let (start, at) = loginRange(of: url) else { return url }
        return String(url[..<start] + url[url.index(after: at)...])
    }

    /// The login of `url`, percent-decoded; nil when it has none.
    /// - Throws: `BuildError.badMirror` when apt's auth.conf cannot hold it (no user, white space).
    init?(url: String) throws {
        guard let (start, at) = Self.loginRange(of: url) else { return nil }
        let login = url[start..<at]
        let colon = login.firstIndex(of: ":") ?? login.endIndex
        let user = String(login[..<colon]).removingPercentEncoding ?? String(login[..<colon])
        let rest = colon == login.endIndex ? "" : String(login[login.index(after: colon)...])
        let password = rest.removingPercentEncoding ?? rest
        guard !user.isEmpty else { throw BuildError.badMirror(url: Self.strip(url), reason: "its login has no user name") }
        guard !(user + password).contains(where: \.isWhitespace) else {
            throw BuildError.badMirror(
                url: Self.strip(url), reason: "its user or password holds white space, which apt's auth.conf cannot hold")
        }
        (machine, self.user, self.password) = (Self.strip(url), user, password)
    }

    /// The auth.conf text for the logins of `urls`; nil when none has one.
    /// - Throws: `BuildError.badMirror`.
    static func authConf(for urls: [String]) throws -> Data? {
        let lines = try urls.compactMap { try MirrorLogin(url: $0) }
            .map { "machine \($0.machine) login \($0.user) password \($0.password)\n" }
        return lines.isEmpty ? nil : Data(lines.joined().utf8)
    }

    /// Writes `logins` (from `authConf`) to `authFile` in `root`, mode 0600.
    /// - Throws: `BuildError.stepFailed` when the file cannot be made or something has its name already.
    static func install(_ logins: Data, in root: URL) throws {
        let file = root.appendingPathComponent(authFile)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard try createPrivateFile(at: file, contents: logins) else {
                throw BuildError.stepFailed(step: "mirror login", reason: "\(file.path) exists already")
            }
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError.stepFailed(step: "mirror login", reason: "cannot write \(file.path): \(error)")
        }
    }

    /// mmdebstrap's hooks (run as `sh -c HOOK exec ROOT`) that give apt the logins in the host file `file`
    /// while it bootstraps, and take them out of the root before it is packed.
    static func bootstrapHooks(file: URL) -> [String] {
        ["--setup-hook=install -D -m 0600 \(shellQuote(file.path)) \"$1/\(authFile)\"", "--customize-hook=rm -f \"$1/\(authFile)\""]
    }

    /// The start of the login after `scheme://`, and the `@` that ends it; nil without a login.
    private static func loginRange(of url: String) -> (String.Index, String.Index)? {
        guard let scheme = url.range(of: "://") else { return nil }
        let authority = url[scheme.upperBound...].prefix { !"/?#".contains($0) }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        return (scheme.upperBound, at)
    }
}
