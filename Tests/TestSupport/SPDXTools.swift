public import Foundation

extension TestVenv {
    /// What spdx-tools' validator (`pyspdxtools -i FILE`, from the test venv) says of the SPDX document `file`:
    /// status 0 and no output when it is valid SPDX 2.3, else status 1 and the issues found.
    /// - Throws: `TestServerError` saying how to make the venv when it is missing.
    public static func validateSPDX(_ file: URL) throws -> CommandResult {
        let tool = directory.appendingPathComponent("bin/pyspdxtools")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else {
            throw TestServerError("no pyspdxtools in the test venv at \(directory.path): run scripts/setup-test-venv (scripts/test does)")
        }
        return try runCommand([tool.path, "-i", file.path])
    }
}
