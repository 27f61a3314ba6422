import Chroot
import Foundation
import ImagePatch
import TestSupport
import Testing
import HostProcesses

/// A small bootable-looking disk for `patch` tests: an MBR, one ext4 partition at 1 MiB holding a root
/// made of the host's shell tools and their libraries, a user `dibkit`, and a fake `apt-get` that logs
/// its arguments to /var/log/apt-calls and the resolver it saw to /var/log/apt-resolver.
struct PatchFixture {
    let folder: URL
    let raw: URL

    /// Makes the disk; `extraSetup` is shell run on the root tree (`$R`) before the filesystem is made.
    init(extraSetup: String = "") throws {
        folder = URL(fileURLWithPath: "/var/tmp/dibkit-patch-tests-\(UUID().uuidString.prefix(8))")
        raw = folder.appendingPathComponent("disk.raw")
        let root = folder.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let programs = ["/bin/sh", "/bin/bash", "/bin/cat", "/bin/echo", "/bin/rm", "/bin/sleep", "/bin/true", "/bin/mkdir"]
        _ = try shell("""
            set -e; R=\(root.path)
            mkdir -p "$R"/{etc,tmp,root,proc,sys,dev,usr/bin,var/log,var/lib/apt/lists,home/dibkit}
            for p in \(programs.joined(separator: " ")); do
                mkdir -p "$R$(dirname $p)"; cp -L "$p" "$R$p"
                for lib in $(ldd "$p" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname $lib)"; cp -Ln "$lib" "$R$lib"; done
            done
            printf 'root:x:0:0:root:/root:/bin/sh\\ndibkit:x:1000:1001::/home/dibkit:/bin/sh\\n' > "$R/etc/passwd"
            printf '#!/bin/sh\\necho "apt-get $*" >> /var/log/apt-calls\\ncat /etc/resolv.conf > /var/log/apt-resolver\\n' > "$R/usr/bin/apt-get"
            chmod 755 "$R/usr/bin/apt-get"
            echo stale > "$R/var/lib/apt/lists/old"
            \(extraSetup)
            truncate -s 64M \(raw.path)
            printf 'label: dos\\n2048,,83\\n' | sfdisk -q \(raw.path)
            mkfs.ext4 -q -F -d "$R" -E offset=1048576 \(raw.path) 63M && echo made
            """)
        guard FileManager.default.fileExists(atPath: raw.path) else { throw CocoaError(.fileNoSuchFile) }
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The same disk as qcow2.
    func qcow2() throws -> URL {
        let image = folder.appendingPathComponent("disk.qcow2")
        _ = try shell("qemu-img convert -O qcow2 \(raw.path) \(image.path)")
        return image
    }

    /// Runs a patch with the machine's accelerator; events go to `events`.
    func patch(_ image: URL, _ steps: [PatchStep], events: EventLog = EventLog()) async throws -> PatchReport {
        let choice = await AcceleratorChoice.detect()
        return try await ImagePatch.patch(image, steps: steps, accelerator: choice, progress: events.record)
    }

    /// `debugfs` on the image's partition (qcow2 is converted first): e.g. `cat /etc/x`, `stat /root`.
    func debugfs(_ image: URL, _ request: String) throws -> String {
        let partition = folder.appendingPathComponent("partition.ext4")
        defer { try? FileManager.default.removeItem(at: partition) }
        _ = try shell("""
            qemu-img convert -O raw \(image.path) \(partition.path).whole
            dd if=\(partition.path).whole of=\(partition.path) bs=1M skip=1 status=none; rm \(partition.path).whole
            """)
        return try shell("debugfs -R '\(request)' \(partition.path) 2>/dev/null")
    }

    /// `Mode: 0600`, `User: 1000`, `Group: 1001` of a path, as debugfs prints them.
    func modeAndOwner(_ image: URL, _ path: String) throws -> String {
        let stat = try debugfs(image, "stat \(path)")
        let fields = ["Mode:", "User:", "Group:"].map { key -> String in
            guard let range = stat.range(of: key) else { return "\(key) ?" }
            let value = stat[range.upperBound...].split(separator: " ").first ?? "?"
            return "\(key) \(value)"
        }
        return fields.joined(separator: " ")
    }

    /// Everything in the fixture's folder other than what it made: leftovers of a patch.
    var strayFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { !["root", "disk.raw", "disk.qcow2", "keys.pub", "motd"].contains($0) }
    }

    /// Appliances (qemu processes) with this fixture's files open.
    var appliances: Int {
        (try? shell("pgrep -fc '[q]emu-system.*\(folder.path)' || true"))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }
}
