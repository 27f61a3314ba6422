import Foundation
import TestSupport
import Testing

/// SIGINT and SIGTERM, to dibkit alone or to its process group, while a child is running: every command exits
/// 130 within 10 s and leaves no process, temporary folder or partial output. SIGKILL leaves no qemu.
@Suite("Signals while children run", .serialized)
struct SignalTests {
    @Test("SIGTERM to dibkit alone while mmdebstrap bootstraps: 130 within 10 s; no mmdebstrap, apt, dpkg, temp folder, partial tar or image left",
          .tags(.endToEnd))
    func terminateDuringBootstrap() async throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-sigterm-\(UUID().uuidString.prefix(8))")
        let temporary = folder.appendingPathComponent("tmp")
        let cache = folder.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        defer { removeLeftovers(in: folder) }
        let process = try DibkitBinary.start(
            ["build", "redis", "--cache-dir", cache.path, "-o", folder.appendingPathComponent("out").path],
            environment: ["TMPDIR": temporary.path, "DIBKIT_ACCEL": "tcg"], workingDirectory: folder,
            stderr: folder.appendingPathComponent("stderr.log"))
        // mmdebstrap's own children (apt, dpkg) work in its temporary root, below dibkit's TMPDIR.
        let busy = try await waitUntil(.seconds(300)) {
            !process.isRunning || processes(mentioning: temporary.path).count > 1
        }
        try #require(busy && process.isRunning, "mmdebstrap never got going: \(log(folder))")
        try await Task.sleep(for: .seconds(2))
        kill(process.processIdentifier, SIGTERM)
        let took = try await exitTime(of: process)
        #expect(took < .seconds(10), "dibkit took \(took) to exit after SIGTERM")
        #expect(process.terminationStatus == 130, "\(log(folder))")
        try await Task.sleep(for: .seconds(2))
        #expect(processes(mentioning: folder.path).isEmpty, "processes left: \(commandLines(mentioning: folder.path))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        let base = cache.appendingPathComponent("base").path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.qcow2").path))
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(folder.path))
    }

    @Test("Ctrl-C to dibkit's process group while the appliance of patch or diff launches: 130 within 10 s; no qemu, overlay, copy or temp folder left; the images unchanged",
          arguments: ["patch", "diff"])
    func interruptGroupDuringApplianceLaunch(command: String) async throws {
        let image = try TestImage(size: 64 << 20, randomBytes: 1 << 20)
        defer { removeLeftovers(in: image.folder) }
        let temporary = image.folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let before = try [image.qcow2, image.raw].map { try Data(contentsOf: $0) }
        let process = try DibkitBinary.start(
            command == "patch" ? ["patch", image.qcow2.path, "-s", "true"] : ["diff", image.qcow2.path, image.raw.path],
            environment: ["TMPDIR": temporary.path, "DIBKIT_ACCEL": "tcg", "LIBGUESTFS_CACHEDIR": "/var/tmp"],
            workingDirectory: image.folder, stderr: image.folder.appendingPathComponent("stderr.log"))
        let group = process.processIdentifier
        try #require(getpgid(group) == group, "dibkit must lead its process group, as a shell's job does")
        let launching = try await waitUntil(.seconds(120)) {
            !process.isRunning || !commandLines(mentioning: image.folder.path).filter { $0.contains("qemu-system") }.isEmpty
        }
        try #require(launching && process.isRunning, "the appliance's qemu never started: \(log(image.folder))")
        try await Task.sleep(for: .seconds(1))
        kill(-group, SIGINT)
        let took = try await exitTime(of: process)
        #expect(took < .seconds(10), "dibkit took \(took) to exit after Ctrl-C")
        #expect(process.terminationStatus == 130, "\(log(image.folder))")
        try await Task.sleep(for: .seconds(2))
        #expect(processes(mentioning: image.folder.path).isEmpty, "left: \(commandLines(mentioning: image.folder.path))")
        let left = try FileManager.default.contentsOfDirectory(atPath: image.folder.path).sorted()
        #expect(left == ["redis-test.qcow2", "redis-test.raw", "stderr.log", "tmp"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        #expect(try [image.qcow2, image.raw].map { try Data(contentsOf: $0) } == before)
    }

    @Test("dibkit killed with SIGKILL while `test` boots the guest: its qemu dies with it")
    func qemuDiesWithDibkit() async throws {
        let image = try TestImage()
        defer { removeLeftovers(in: image.folder) }
        let temporary = image.folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let process = try DibkitBinary.start(
            ["test", image.qcow2.path, "--database", "redis"],
            environment: ["TMPDIR": temporary.path, "DIBKIT_ACCEL": "tcg"],
            workingDirectory: image.folder, stderr: image.folder.appendingPathComponent("stderr.log"))
        let booting = try await waitUntil(.seconds(60)) {
            !process.isRunning || !commandLines(mentioning: temporary.path).filter { $0.contains("qemu-system") }.isEmpty
        }
        try #require(booting && process.isRunning, "qemu never started: \(log(image.folder))")
        kill(process.processIdentifier, SIGKILL)
        let gone = try await waitUntil(.seconds(5)) { processes(mentioning: temporary.path).isEmpty }
        #expect(gone, "left after dibkit was killed: \(commandLines(mentioning: temporary.path))")
    }
}

/// The command lines (arguments joined by spaces) of running processes that mention `text`.
private func commandLines(mentioning text: String) -> [String] {
    processes(mentioning: text).compactMap { pid in
        FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
            String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
        }
    }
}

/// dibkit's standard error in `folder`, for failure messages.
private func log(_ folder: URL) -> String {
    (try? String(contentsOf: folder.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? "(no stderr.log)"
}

/// Kills whatever a failed test left running in `folder` (a qemu must not spin for minutes) and detaches what it
/// left mounted there (a killed mmdebstrap leaves /proc, /sys and /dev/shm of the host), then removes the folder,
/// never through a mount.
private func removeLeftovers(in folder: URL) {
    processes(mentioning: folder.path).forEach { kill($0, SIGKILL) }
    Thread.sleep(forTimeInterval: 0.5)
    let mounts = ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").split(separator: "\n")
        .compactMap { $0.split(separator: " ").dropFirst(4).first.map(String.init) }
        .filter { $0.hasPrefix(folder.path + "/") }
    for mount in mounts.sorted().reversed() { _ = try? runCommand(["umount", "--lazy", mount]) }
    guard mounts.isEmpty || (try? runCommand(["findmnt", "--list", "--noheadings", "--output", "TARGET"]))?
        .output.contains(folder.path) == false
    else { return }
    try? FileManager.default.removeItem(at: folder)
}
