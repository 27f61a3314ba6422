import Foundation
import HostProcesses

/// `mkfs.ext4 -d` copies each file's change and access times from the tree: the moment the build wrote or read
/// it, which no `touch` can set. For a reproducible image they are set to `SOURCE_DATE_EPOCH` afterwards, in one
/// `debugfs -w` run over the filesystem inside the disk file (`DISK?offset=N`, as e2fsprogs reads it).
enum InodeTimes {
    /// Sets the change and access time of every used inode of the ext4 at `offset` in `disk` to `epoch`.
    static func clamp(disk: URL, offset: UInt64, epoch: UInt64, log: BuildLog) async throws {
        let device = "\(disk.path)?offset=\(offset)"
        var environment = ProcessInfo.processInfo.environment
        environment["E2FSPROGS_FAKE_TIME"] = "\(epoch)"
        let dump = try await CommandRunner.run(["dumpe2fs", device], environment: environment, label: "dumpe2fs")
        let stamp = timestamp(epoch)
        let script = usedInodes(inDump: dump.standardOutput)
            // The reserved inodes other than the root, resize and journal ones hold no times.
            .filter { $0 == 2 || $0 == 7 || $0 == 8 || $0 >= 11 }
            .map { "sif <\($0)> ctime \(stamp)\nsif <\($0)> ctime_extra 0\nsif <\($0)> atime \(stamp)\nsif <\($0)> atime_extra 0\n" }
            .joined()
        try await CommandRunner.run(
            ["debugfs", "-w", "-f", "-", device], environment: environment, label: "debugfs (inode times)",
            input: Data(script.utf8), log: log.append)
    }

    /// The inodes `dumpe2fs` shows in use: each group's inodes less its `Free inodes:` ranges.
    static func usedInodes(inDump dump: String) -> [Int] {
        var perGroup = 0
        var group: Int?
        var used: [Int] = []
        for line in dump.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Inodes per group:") {
                perGroup = Int(text.dropFirst("Inodes per group:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            } else if line.hasPrefix("Group "), let number = Int(line.dropFirst(6).prefix { $0.isNumber }) {
                group = number
            } else if text.hasPrefix("Free inodes:"), let current = group, perGroup > 0 {
                var free = Set<Int>()
                for range in text.dropFirst("Free inodes:".count).split(separator: ",") {
                    let bounds = range.trimmingCharacters(in: .whitespaces).split(separator: "-").compactMap { Int($0) }
                    if let first = bounds.first { free.formUnion(first...(bounds.last ?? first)) }
                }
                let first = current * perGroup + 1
                used += (first..<first + perGroup).filter { !free.contains($0) }
                group = nil
            }
        }
        return used
    }

    /// `epoch` as debugfs reads a time: `YYYYMMDDHHMMSS`, UTC.
    static func timestamp(_ epoch: UInt64) -> String {
        var time = time_t(epoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d%02d%02d%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
