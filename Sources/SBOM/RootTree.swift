import Foundation

/// Reads a file of an image's root tree as the image would: links are followed inside the tree (an absolute
/// link starts again from its root, `..` stops at it), never out to the host's files.
enum RootTree {
    /// The contents of `path` (relative to `root`), or nil when there is no readable file there.
    static func contents(of path: String, in root: URL) -> Data? {
        guard let resolved = resolve(path, in: root) else { return nil }
        return FileManager.default.contents(atPath: root.path + "/" + resolved.joined(separator: "/"))
    }

    /// The components of `path` from `root` with every link on the way resolved; nil after 40 links (a loop).
    private static func resolve(_ path: String, in root: URL) -> [String]? {
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let here = root.path + "/" + (resolved + [component]).joined(separator: "/")
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: here) else {
                resolved.append(component)
                continue
            }
            links += 1
            guard links <= 40 else { return nil }
            if target.hasPrefix("/") { resolved = [] }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        return resolved
    }
}
