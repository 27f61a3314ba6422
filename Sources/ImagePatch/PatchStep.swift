public import Foundation
public import Elements

/// One change `dibkit patch` makes inside an image's root.
public enum PatchStep: Sendable, Equatable {
    /// Copy a host file into the guest (`--upload SRC:DST`).
    case upload(FileUpload)
    /// `apt-get update`, install the packages without recommends, then empty apt's caches (`--install`).
    case install(packages: [String])
    /// Run a shell command in the root (`-s`).
    case run(String)
    /// Add ssh public keys to a user's `~/.ssh/authorized_keys` (`--ssh-key`, `--user`).
    case authorizeKeys(AuthorizedKeys, user: String)

    /// How progress lines and errors name the step.
    public var label: String {
        switch self {
        case .upload(let upload): "--upload \(upload.source.path):\(upload.destination)"
        case .install(let packages): "--install \(packages.joined(separator: ","))"
        case .run(let command): "-s \(command)"
        case .authorizeKeys(_, let user): "--ssh-key for user \(user)"
        }
    }

    /// Whether the step runs programs of the image (and so may want the network and a resolver).
    var runsCommands: Bool {
        switch self {
        case .install, .run: true
        case .upload, .authorizeKeys: false
        }
    }

    /// The steps `dibkit patch` makes of its options, in its fixed order: the uploads, one install of every
    /// package, the commands as given, the ssh keys.
    /// - Parameters:
    ///   - uploads: `SRC:DST` texts.
    ///   - packages: names, comma-separated or repeated.
    ///   - sshKeys: a file of public keys for `user`.
    /// - Throws: `PatchError` (a missing upload, a bad package name, nothing to do), `ElementError.badPublicKey`.
    public static func ordered(
        uploads: [String], packages: [String], commands: [String], sshKeys: URL?, user: String
    ) throws -> [PatchStep] {
        var steps = try uploads.map { PatchStep.upload(try FileUpload(argument: $0)) }
        let names = packages.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        if !names.isEmpty {
            try checkPackages(names)
            steps.append(.install(packages: names))
        }
        steps += commands.map(PatchStep.run)
        if let sshKeys { steps.append(.authorizeKeys(try AuthorizedKeys(file: sshKeys), user: user)) }
        guard !steps.isEmpty else { throw PatchError.nothingToDo }
        return steps
    }

    /// Checks a package list for `--install`: Debian package names, optionally with `=version` or `:arch`.
    /// - Throws: `PatchError.badPackageName` naming the first that is not one.
    public static func checkPackages(_ packages: [String]) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-:=~_")
        for package in packages {
            guard let first = package.first, first.isLetter || first.isNumber, package.allSatisfy(allowed.contains) else {
                throw PatchError.badPackageName(package)
            }
        }
    }
}

/// A host file to copy into the guest: its permission bits are kept, its owner becomes root.
public struct FileUpload: Sendable, Equatable {
    /// The host file.
    public let source: URL
    /// An absolute guest path: the file's new name, or an existing folder to put it in.
    public let destination: String
    /// The source's permission bits.
    public let mode: Int32

    /// Parses `SRC:DST` (the first `:` splits) and checks the source is a readable regular file.
    /// - Throws: `PatchError.badUpload` saying what is wrong.
    public init(argument: String) throws {
        guard let colon = argument.firstIndex(of: ":") else {
            throw PatchError.badUpload(argument, reason: "is not SRC:DST (e.g. ./motd:/etc/motd)")
        }
        let source = String(argument[..<colon]), destination = String(argument[argument.index(after: colon)...])
        guard destination.hasPrefix("/") else {
            throw PatchError.badUpload(argument, reason: "the destination must be an absolute path in the image")
        }
        var status = stat()
        guard stat(source, &status) == 0 else {
            throw PatchError.badUpload(argument, reason: "\(source): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG, access(source, R_OK) == 0 else {
            throw PatchError.badUpload(argument, reason: "\(source) is not a readable regular file")
        }
        self.source = URL(fileURLWithPath: source)
        self.destination = destination
        self.mode = Int32(status.st_mode & 0o7777)
    }
}
