import Foundation

/// Reads a guest's serial console log (written by qemu `-serial file:`).
struct SerialConsole {
    let file: URL

    /// Lines that mean the boot has failed and waiting longer is pointless.
    static let fatalMarkers = [
        "Kernel panic - not syncing", "You are in emergency mode", "Give root password for maintenance",
        "Dropping to a shell", "grub rescue>", "No bootable device", "No bootable option or device was found",
    ]

    /// The whole log, with carriage returns and terminal escape sequences removed.
    func text() -> String {
        guard let data = try? Data(contentsOf: file) else { return "" }
        return String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r", with: "")
    }

    /// The first fatal marker found in the log, if any.
    func fatalMarker() -> String? {
        let text = text()
        return Self.fatalMarkers.first { text.contains($0) }
    }

    /// Units systemd said failed to start ("[FAILED] Failed to start networking.service - …"), in order.
    func failedUnits() -> [String] {
        text().split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "] Failed to start ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
    }

    /// The last `count` non-empty lines.
    func tail(_ count: Int = 40) -> String {
        text().split(separator: "\n").suffix(count).joined(separator: "\n")
    }
}
