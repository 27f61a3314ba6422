import Foundation

/// A temporary folder removed when the test ends.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs a host command synchronously and returns its standard output (tests only).
@discardableResult
func sh(_ script: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "sh", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: script])
    }
    return String(decoding: data, as: UTF8.self)
}

/// A minimal root tree made of the host's own bash, coreutils and their libraries: enough to chroot into.
func makeMinimalRoot(at root: URL) throws {
    let programs = ["/bin/bash", "/usr/bin/env", "/bin/cat", "/bin/sleep", "/bin/ls", "/bin/sh"]
    try sh("""
        set -e; R=\(root.path)
        mkdir -p "$R"/{proc,sys,dev,tmp,etc}
        for p in \(programs.joined(separator: " ")); do
            mkdir -p "$R$(dirname $p)"; cp -L "$p" "$R$p"
            for lib in $(ldd "$p" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname $lib)"; cp -Ln "$lib" "$R$lib"; done
        done
        """)
}
