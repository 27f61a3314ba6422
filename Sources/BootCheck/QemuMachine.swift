import HostProcesses
import Foundation

/// One qemu run of the test guest: overlay disk, NoCloud seed, serial console to a file, the database port
/// forwarded to 127.0.0.1, and a QMP socket for a clean ACPI power-down.
struct QemuMachine {
    let process: ChildProcess
    let console: SerialConsole
    let qmpSocket: URL
    let stderrLog: URL

    /// Starts qemu; `tag` names this boot's console and log files inside `directory`.
    static func start(
        overlay: URL, seed: URL, accelerator: Accelerator, options: BootCheckOptions, hostPort: Int,
        directory: URL, tag: String
    ) throws -> QemuMachine {
        try start(overlay: overlay, seed: seed, accelerator: accelerator, memoryMiB: options.memoryMiB,
                  cpus: options.cpus, forwards: [(hostPort, options.database.port)], link: nil,
                  firmware: options.firmware, directory: directory, tag: tag)
    }

    /// A second network card on a private link between qemu processes: a multicast group on the loopback
    /// (`-netdev socket,mcast=`), every guest on it seeing the others' frames, and the card's MAC address.
    struct Link {
        var group: String
        var mac: String
    }

    /// Starts qemu with `forwards` (host port on 127.0.0.1 → guest port) on its user network card (MAC
    /// 52:54:00:12:34:56), when given a card on `link`, and `extraDisks` (qcow2) after the seed (vdc, vdd…).
    /// Under UEFI the guest's variable store sits beside its overlay, so a reboot of the same overlay keeps it.
    static func start(
        overlay: URL, seed: URL, accelerator: Accelerator, memoryMiB: Int, cpus: Int, forwards: [(Int, Int)],
        link: Link?, extraDisks: [URL] = [], firmware: Firmware = .bios, directory: URL, tag: String
    ) throws -> QemuMachine {
        let console = directory.appendingPathComponent("console-\(tag).log")
        let qmp = directory.appendingPathComponent("qmp-\(tag).sock")
        let stderrLog = directory.appendingPathComponent("qemu-\(tag).log")
        guard qmp.path.utf8.count < 108 else {
            throw BootCheckError.toolFailed(
                tool: "qemu-system-x86_64",
                message: "the QMP socket path \(qmp.path) is longer than a Unix socket allows (107 bytes); "
                    + "use a shorter temporary directory (TMPDIR)")
        }
        let hostForwards = forwards.map { ",hostfwd=tcp:127.0.0.1:\($0.0)-:\($0.1)" }.joined()
        let variables = overlay.deletingPathExtension().appendingPathExtension("efivars.fd")
        var arguments = try accelerator.qemuArguments + firmware.qemuArguments(variables: variables) + [
            "-m", "\(memoryMiB)", "-smp", "\(cpus)",
            "-nodefaults", "-display", "none", "-no-reboot",
            "-serial", "file:\(console.path)",
            "-drive", "file=\(overlay.path),if=virtio,format=qcow2",
            "-drive", "file=\(seed.path),if=virtio,format=raw,readonly=on",
            "-netdev", "user,id=n0\(hostForwards)",
            "-device", "virtio-net-pci,netdev=n0,mac=\(userNetworkMAC)",
            "-qmp", "unix:\(qmp.path),server=on,wait=off",
        ]
        for disk in extraDisks {
            arguments += ["-drive", "file=\(disk.path),if=virtio,format=qcow2"]
        }
        if let link {
            arguments += ["-netdev", "socket,id=n1,mcast=\(link.group),localaddr=127.0.0.1",
                          "-device", "virtio-net-pci,netdev=n1,mac=\(link.mac)"]
        }
        let process = try ChildProcess("qemu-system-x86_64", arguments, output: stderrLog)
        return QemuMachine(
            process: process, console: SerialConsole(file: console), qmpSocket: qmp, stderrLog: stderrLog)
    }

    /// The MAC address of the user network card (qemu's default one, named so network-config can match it).
    static let userNetworkMAC = "52:54:00:12:34:56"

    /// What qemu printed on stderr, trimmed.
    func qemuMessages() -> String {
        ((try? String(contentsOf: stderrLog, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Asks the guest to power off through ACPI (QMP `qmp_capabilities`, then `system_powerdown`).
    func requestPowerDown() async throws {
        let path = qmpSocket.path
        try await onBlockingThread {
            let socket = try BlockingSocket.unix(path: path, timeout: .seconds(10))
            _ = try socket.readLine()
            for command in ["qmp_capabilities", "system_powerdown"] {
                try socket.write("{\"execute\": \"\(command)\"}\n")
                var reply = try socket.readLine()
                while reply.contains("\"event\"") { reply = try socket.readLine() }
                guard reply.contains("\"return\"") else {
                    throw SocketError(operation: "QMP \(command)", message: reply)
                }
            }
        }
    }
}
