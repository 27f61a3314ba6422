import Foundation
import HostProcesses
import Testing

@testable import BootCheck

let hasRedisServer = FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server")
let hasSeedTools = FileManager.default.isExecutableFile(atPath: "/usr/bin/cloud-localds")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/isoinfo")

/// Raw 1 MiB disks whose boot sector does one small thing (SeaBIOS skips single-sector virtio disks).
enum TestDisk {
    /// Loops forever without output: a guest that never answers.
    static let silent = sector([0xEB, 0xFE])

    /// Prints a kernel-panic line on COM1 and halts: a guest whose boot fails visibly.
    static let panics: Data = {
        let message = Array("Kernel panic - not syncing: dibkit test sector\r\n".utf8) + [0]
        // xor ax,ax; mov ds,ax; cld; mov si,MSG; mov dx,0x3f8; lodsb; test al,al; jz +3; out dx,al; jmp -8;
        // hlt; jmp -3
        var code: [UInt8] = [
            0x31, 0xC0, 0x8E, 0xD8, 0xFC, 0xBE, 0, 0, 0xBA, 0xF8, 0x03, 0xAC, 0x84, 0xC0, 0x74, 0x03, 0xEE, 0xEB,
            0xF8, 0xF4, 0xEB, 0xFD,
        ]
        let address = 0x7C00 + code.count
        code[6] = UInt8(address & 0xFF)
        code[7] = UInt8(address >> 8)
        return sector(code + message)
    }()

    static func sector(_ code: [UInt8]) -> Data {
        var disk = Data(code)
        disk.append(Data(count: 510 - disk.count))
        disk.append(contentsOf: [0x55, 0xAA])
        disk.append(Data(count: (1 << 20) - 512))
        return disk
    }
}

/// A real redis-server on 127.0.0.1 with a password, stopped when released.
final class RedisServer {
    let port: Int
    let password: String
    private let process: ChildProcess

    init(in directory: URL, password: String = "s3cret-\(UUID().uuidString.prefix(8))") async throws {
        self.password = password
        port = try freeLoopbackPort()
        process = try ChildProcess("redis-server", [
            "--port", "\(port)", "--bind", "127.0.0.1", "--requirepass", password, "--save", "",
            "--appendonly", "no", "--dir", directory.path, "--daemonize", "no",
        ])
        for _ in 0..<100 {
            if await RedisProbe().answers(loopbackPort: port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        await process.stop()
        throw SocketError(operation: "redis-server", message: "did not answer on port \(port)")
    }

    /// Stops the server; call at the end of each test.
    func stop() async {
        await process.stop()
    }
}

/// The checks `probe` passes against a server on `port` with `settings`; `stop` runs on every way out, so a
/// failing check does not leave the server running.
func passedChecks(
    of probe: any DatabaseProbe, port: Int, settings: DatabaseSettings, stop: () async -> Void
) async throws -> [String] {
    do {
        let passed = try await probe.checkAuthentication(loopbackPort: port, settings: settings)
        await stop()
        return passed
    } catch {
        await stop()
        throw error
    }
}
