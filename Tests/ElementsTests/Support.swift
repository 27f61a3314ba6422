import Foundation
import TestSupport
import Testing

@testable import Elements

/// The fixture elements beside this file (not SwiftPM resources: found through `#filePath`).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
/// A second folder whose `os` hides the one in `fixtures` when it comes first in the search path.
let overrides = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FixturesOverride")

/// The variables a build passes, as the pipeline does (when: conditions need them set).
let buildVariables = ["APP_FEATURE": "no", "DIB_RELEASE": "bookworm"]
/// As the pipeline passes them for a Debian build: `DISTRO_NAME` decides which `pkg-map` section applies.
let debianVariables = ["DISTRO_NAME": "debian", "DIB_RELEASE": "bookworm"]

func fixtureLibrary() throws -> ElementLibrary { try ElementLibrary(searchPath: [fixtures]) }

/// dibkit's own elements, through the real loader.
func builtInLibrary() throws -> ElementLibrary { try ElementLibrary(searchPath: [try BuiltInElements.directory()]) }

func plan(_ names: [String], variables: [String: String] = buildVariables, arch: String = "amd64") throws -> BuildPlan {
    try BuildPlan.resolve(names, in: try fixtureLibrary(), variables: variables, arch: arch)
}

/// The error `body` throws, as an `ElementError`; records an issue when it throws nothing or something else.
func elementError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ElementError? {
    do {
        try body()
        Issue.record("expected an ElementError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ElementError {
        return error
    } catch {
        Issue.record("expected an ElementError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A temporary folder of elements written by a test, removed when the test is done with it.
struct TemporaryElements {
    private let temporary: TemporaryFolder
    var folder: URL { temporary.url }

    init() throws { temporary = try TemporaryFolder() }

    /// Writes `contents` to `element/path`; `executable` sets mode 755.
    func write(_ element: String, _ path: String, _ contents: String, executable: Bool = false) throws {
        let file = folder.appendingPathComponent(element).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path) }
    }

    /// Writes an element that provides `operating-system`.
    func writeOperatingSystem(_ name: String = "base") throws {
        try write(name, "element-provides", "operating-system\n")
    }

    func library() throws -> ElementLibrary { try ElementLibrary(searchPath: [folder]) }
}
