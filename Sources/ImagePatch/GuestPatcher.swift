import Chroot
import Foundation
import Reporting
import Elements

/// Carries out patch steps in a mounted guest root, one after the other.
struct GuestPatcher {
    let guest: GuestSession
    let steps: [PatchStep]
    let network: Bool

    /// Where the image's own `/etc/resolv.conf` waits while steps use the appliance's resolver.
    static let savedResolver = "/etc/resolv.conf.dibkit-patch"
    /// How many lines of a failing command's output an error shows.
    static let tailLines = 25

    /// Runs every step; with the network on and commands to run, under the appliance's resolver, and
    /// puts the image's own `/etc/resolv.conf` back afterwards.
    func runAll(timer: StepTimer) async throws {
        let hadOwnResolver = network && steps.contains(where: \.runsCommands) ? try await borrowResolver() : nil
        for (index, step) in steps.enumerated() {
            try await timer.time("step \(index + 1)/\(steps.count): \(step.label)") {
                try await run(step, number: index + 1)
            }
        }
        if let hadOwnResolver { try await restoreResolver(hadOwn: hadOwnResolver) }
    }

    private func run(_ step: PatchStep, number: Int) async throws {
        switch step {
        case .run(let command):
            try await shell(command, step: number)
        case .install(let packages):
            let names = packages.joined(separator: " ")
            try await shell("apt-get update", step: number)
            try await shell("apt-get install -y --no-install-recommends \(names)", step: number)
            try await shell("apt-get clean && rm -rf /var/lib/apt/lists/*", step: number)
            try await guest.fstrim()  // the image need not keep the blocks the lists and archives held
        case .upload(let upload):
            try await copy(upload, step: number)
        case .authorizeKeys(let keys, let user):
            try await authorize(keys, for: user, step: number)
        }
    }

    /// Runs `command` with `/bin/sh` in the root, standard error joined to standard output, and reads its
    /// exit status from a marker line the wrapper prints after it.
    private func shell(_ command: String, step: Int) async throws {
        let marker = "dibkit-patch-status-\(UUID().uuidString)"
        let script = "export DEBIAN_FRONTEND=noninteractive\nexec 2>&1\n(\n\(command)\n)\necho \"\(marker) $?\"\n"
        let output = try await guest.sh(script)
        // dpkg ends lines with "\r\n", which Swift counts as one Character: split on every kind of newline.
        var lines = output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let last = lines.last, last.hasPrefix(marker + " "), let status = Int32(last.dropFirst(marker.count + 1)) else {
            let tail = lines.suffix(Self.tailLines).map { "  | \($0)" }.joined(separator: "\n")
            throw impossible(step, "`\(command)` ended the shell before reporting its exit status (did it call exec or exit the shell?); its last output:\n\(tail)")
        }
        guard status == 0 else {
            throw PatchError.stepFailed(
                step: step, steps: steps.count, label: steps[step - 1].label, command: command, status: status,
                outputTail: Array(lines.dropLast().suffix(Self.tailLines)), withoutNetwork: !network)
        }
    }

    private func copy(_ upload: FileUpload, step: Int) async throws {
        var target = upload.destination
        if try await guest.isDirectory(target) {
            target = (target.hasSuffix("/") ? target : target + "/") + upload.source.lastPathComponent
        } else {
            let parent = (target as NSString).deletingLastPathComponent
            guard try await guest.isDirectory(parent) else {
                throw impossible(step, "the folder \(parent) does not exist in the image")
            }
        }
        try await guest.upload(upload.source, to: target)
        try await guest.setOwner(user: 0, group: 0, of: target)
        try await guest.setMode(upload.mode, of: target)
    }

    private func authorize(_ keys: AuthorizedKeys, for user: String, step: Int) async throws {
        do { try await guest.authorize(keys, for: user) } catch let missing as MissingInImage {
            let hint = if case .user = missing { " (create it with -s 'useradd -m \(user)', or pick another with --user)" } else { "" }
            throw impossible(step, "\(missing)\(hint)")
        }
    }

    /// Puts the appliance's resolver in the image's place, so that apt can resolve names.
    /// - Returns: whether the image had a `/etc/resolv.conf` of its own; nil when nothing was changed.
    private func borrowResolver() async throws -> Bool? {
        guard let resolver = try? await guest.applianceShell("cat /etc/resolv.conf"), !resolver.isEmpty,
              try await guest.isDirectory("/etc") else { return nil }
        let hadOwn = try await guest.exists("/etc/resolv.conf")
        if hadOwn { try await guest.rename("/etc/resolv.conf", to: Self.savedResolver) }
        try await guest.write(Data(resolver.utf8), to: "/etc/resolv.conf")
        return hadOwn
    }

    private func restoreResolver(hadOwn: Bool) async throws {
        try await guest.remove("/etc/resolv.conf")
        if hadOwn { try await guest.rename(Self.savedResolver, to: "/etc/resolv.conf") }
    }

    private func impossible(_ step: Int, _ reason: String) -> PatchError {
        .stepImpossible(step: step, steps: steps.count, label: steps[step - 1].label, reason: reason)
    }
}
