import Foundation

/// The firmware a test guest boots with: SeaBIOS (qemu's default) or OVMF, the UEFI firmware clouds use.
public enum Firmware: String, CaseIterable, Sendable, Codable {
    case bios
    case uefi

    /// OVMF's code and variable store templates as Debian's `ovmf` package installs them, 4 MiB ones first.
    static let ovmfPairs = [
        ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
        ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
    ]

    /// qemu's arguments for this firmware. UEFI gets OVMF's code read-only and its own copy of the variable
    /// store at `variables` (made from the template when missing, kept across a reboot of the same guest).
    func qemuArguments(variables: URL) throws -> [String] {
        switch self {
        case .bios:
            return []
        case .uefi:
            guard let (code, template) = Self.ovmfPairs.first(where: { FileManager.default.fileExists(atPath: $0.0) }) else {
                throw BootCheckError.toolFailed(
                    tool: "qemu-system-x86_64",
                    message: "no UEFI firmware: none of \(Self.ovmfPairs.map(\.0).joined(separator: ", ")) exists; "
                        + "install Debian's ovmf package, or test with --firmware bios")
            }
            if !FileManager.default.fileExists(atPath: variables.path) {
                try FileManager.default.copyItem(at: URL(fileURLWithPath: template), to: variables)
            }
            return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(code)",
                    "-drive", "if=pflash,format=raw,unit=1,file=\(variables.path)"]
        }
    }
}
