import Foundation

/// An element folder's files as lines of a digest's text: each path with its mode and content's SHA-256 (a
/// link with its target), sorted by path; Python's `__pycache__` folders are left out.
enum ElementFiles {
    /// - Parameter skipping: whether to leave out a path (relative to `directory`); a folder's files go with it.
    static func digests(of directory: URL, skipping: (String) -> Bool = { _ in false }) throws -> [String] {
        let files = FileManager.default
        guard let walker = files.enumerator(atPath: directory.path) else { return [] }
        var result: [(path: String, line: String)] = []
        while let path = walker.nextObject() as? String {
            if (path as NSString).lastPathComponent == "__pycache__" || skipping(path) {
                if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                continue
            }
            let url = directory.appendingPathComponent(path)
            let attributes = try files.attributesOfItem(atPath: url.path)
            let mode = String((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0, radix: 8)
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?: continue
            case .typeSymbolicLink?: result.append((path, "\(path) link \(try files.destinationOfSymbolicLink(atPath: url.path))"))
            default: result.append((path, "\(path) \(mode) \(try sha256(of: url))"))
            }
        }
        return result.sorted { $0.path < $1.path }.map(\.line)
    }
}
