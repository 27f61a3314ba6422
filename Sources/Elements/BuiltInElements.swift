public import Foundation

/// Where dibkit's own `elements/` folder is.
public enum BuiltInElements {
    /// `DIBKIT_ELEMENTS_DIR`, else an `elements/` (or `share/dibkit/elements/`) folder in or above the
    /// running executable's folder (a source checkout or an install prefix), else the checkout this
    /// code was compiled from.
    /// - Throws: `ElementError.builtInElementsNotFound` listing where it looked.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let configured = environment["DIBKIT_ELEMENTS_DIR"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        var searched: [String] = []
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" && !folder.path.isEmpty {
            for candidate in ["elements", "share/dibkit/elements"] {
                let url = folder.appendingPathComponent(candidate)
                if isElementsFolder(url) { return url }
                searched.append(url.path)
            }
            folder.deleteLastPathComponent()
        }
        let compiledFrom = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("elements")
        if isElementsFolder(compiledFrom) { return compiledFrom }
        throw ElementError.builtInElementsNotFound(searched: searched + [compiledFrom.path])
    }

    /// A folder of elements: some folder in it has an `element-provides` file (an operating system does).
    private static func isElementsFolder(_ url: URL) -> Bool {
        Element.entries(of: url).contains {
            FileManager.default.fileExists(atPath: url.appendingPathComponent($0).appendingPathComponent("element-provides").path)
        }
    }
}
