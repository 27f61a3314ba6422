/// The tree an untrusted archive makes, kept in memory so that every entry can be checked before anything
/// is written: each name is resolved as the kernel will resolve it then, through the links made by the
/// entries before it, so that a chain of links that each look harmless (`d -> .`, then `d/f -> ..`) cannot
/// lead out of the root. Mirrors what `UntrustedWriter` does with each entry, and refuses what it would fail at.
struct UntrustedTree {
    /// What an entry makes.
    enum Kind {
        case folder, file
        case symbolicLink(target: String)
        case hardLink(target: String)
    }

    /// Why an entry is refused.
    struct Refusal: Error {
        /// The entry refused: the one added, or, from `checkLinks`, the link's own.
        let entry: String
        let reason: String
    }

    private enum Node {
        case folder, file
        case link(target: String, entry: String)
    }

    /// Nodes by their path from the root, as the kernel will find them (no links on the way).
    private var nodes: [String: Node] = [:]

    /// The longest name or link target the kernel takes (PATH_MAX less its terminating zero).
    static let longestName = 4095

    /// The components of the relative entry name (or hard link target) `name`, without empty and `.` ones.
    /// - Throws: a refusal of `entry` when the name is absolute, holds `..` or is too long.
    static func components(of name: String, entry: String) throws(Refusal) -> [String] {
        let refuse = { (reason: String) in Refusal(entry: entry, reason: reason) }
        if name.hasPrefix("/") { throw refuse("absolute path") }
        if name.utf8.count > longestName { throw refuse("a name longer than \(longestName) bytes") }
        let components = name.split(separator: "/").filter { $0 != "." }.map(String.init)
        if components.contains("..") { throw refuse("path holds '..'") }
        return components
    }

    /// Adds the entry `name` that makes `kind`.
    /// - Throws: `Refusal` when the entry, or its way, would lead out of the root, or it would fail.
    mutating func add(_ name: String, _ kind: Kind) throws(Refusal) {
        let refuse = { (reason: String) in Refusal(entry: name, reason: reason) }
        let path = try Self.components(of: name, entry: name)
        guard let leaf = path.last else {
            if case .folder = kind { return }
            throw refuse("names the archive's root itself")
        }
        let parent = try resolve(path.dropLast(), from: [], followingLast: true, creating: true, entry: name)
        for depth in parent.indices where nodes[Self.key(parent[...depth])] == nil {
            nodes[Self.key(parent[...depth])] = .folder
        }
        let key = Self.key(parent + [leaf])
        switch (kind, nodes[key]) {
        case (.folder, .link?):
            // The writer opens the folder the link leads to.
            let target = try resolve(path[...], from: [], followingLast: true, creating: false, entry: name)
            guard case .folder? = nodes[Self.key(target)] else { throw refuse("a link in its place leads to no folder") }
        case (.folder, .file?): throw refuse("a file of that name is already there")
        case (.folder, _): nodes[key] = .folder
        case (_, .folder?): throw refuse("would replace a folder")
        case (.file, _): nodes[key] = .file
        case (.symbolicLink(let target), _):
            guard !target.isEmpty, target.utf8.count <= Self.longestName else { throw refuse("symbolic link with an empty or too long target") }
            try checkLink(to: target, in: parent, entry: name)
            nodes[key] = .link(target: target, entry: name)
        case (.hardLink(let target), _):
            let components: [String]
            do {
                components = try Self.components(of: target, entry: name)
            } catch {
                throw refuse("hard link to '\(target)': \(error.reason)")
            }
            let source = try resolve(components[...], from: [], followingLast: false, creating: false, entry: name)
            guard Self.key(source) != key else { throw refuse("hard link to itself") }
            switch nodes[Self.key(source)] {
            case nil: throw refuse("hard link to '\(target)', which no entry before it made")
            case .folder?: throw refuse("hard link to the folder '\(target)'")
            case .file?: nodes[key] = .file
            case .link(let linked, _)?:
                // A hard link to a symbolic link is the same link in another folder: check it from there.
                try checkLink(to: linked, in: parent, entry: name)
                nodes[key] = .link(target: linked, entry: name)
            }
        }
    }

    /// Checks every link of the finished tree again: a link's target may pass through links made after it.
    /// - Throws: `Refusal` naming the first link that now points outside the root.
    func checkLinks() throws(Refusal) {
        for (key, node) in nodes.sorted(by: { $0.key < $1.key }) {
            guard case .link(let target, let entry) = node else { continue }
            try checkLink(to: target, in: key.split(separator: "/").dropLast().map(String.init), entry: entry)
        }
    }

    /// Refuses a link in the folder `parent` whose `target` leads out of the root; a loop is no escape.
    private func checkLink(to target: String, in parent: [String], entry: String) throws(Refusal) {
        let refusal = Refusal(entry: entry, reason: "symbolic link to '\(target)' points outside the archive")
        guard !target.hasPrefix("/") else { throw refusal }
        do {
            _ = try resolve(target.split(separator: "/").map(String.init)[...], from: parent, followingLast: true, creating: false, entry: entry)
        } catch let failure where failure.reason == Self.loop {
            return
        } catch {
            throw refusal
        }
    }

    private static let loop = "symbolic links on its way loop"

    /// Where `components` lead from the folder `start`, following links as the kernel does (at most 40).
    /// - Parameters:
    ///   - followingLast: whether a link as the last component is followed.
    ///   - creating: the way of an entry the writer makes folders along: a missing component reached
    ///     through the entry's own name will be made, one reached through a link fails. Otherwise (a link's
    ///     target) the rest of the way after a missing component is taken by name.
    /// - Returns: the path the components lead to.
    /// - Throws: `Refusal` when the way leads above the root, through an absolute link, through a file, or loops.
    private func resolve(
        _ components: ArraySlice<String>, from start: [String], followingLast: Bool, creating: Bool, entry: String
    ) throws(Refusal) -> [String] {
        var done = start
        // The key of each prefix of `done`, so that a step costs one component, not the whole path.
        var keys = start.indices.map { Self.key(start[...$0]) }
        // The components still to walk, last first, each marked whether it came out of a link.
        var todo = components.reversed().map { ($0, false) }
        var links = 0
        while let (component, fromLink) = todo.popLast() {
            switch component {
            case "", ".": continue
            case "..":
                guard !done.isEmpty else { throw Refusal(entry: entry, reason: "its way leads outside the archive's root") }
                done.removeLast()
                keys.removeLast()
                continue
            default: break
            }
            let key = keys.last.map { $0 + "/" + component } ?? component
            switch nodes[key] {
            case .link(let target, _)? where followingLast || !todo.isEmpty:
                links += 1
                guard links <= 40 else { throw Refusal(entry: entry, reason: Self.loop) }
                guard !target.hasPrefix("/") else {
                    throw Refusal(entry: entry, reason: "its way leads outside the archive's root through the link '\(key)' to '\(target)'")
                }
                todo += target.split(separator: "/").reversed().map { (String($0), true) }
            case .file? where !todo.isEmpty:
                throw Refusal(entry: entry, reason: "'\(key)' on its way is a file, not a folder")
            case nil where creating && fromLink:
                throw Refusal(entry: entry, reason: "a link on its way leads to '\(key)', which does not exist")
            default:
                done.append(component)
                keys.append(key)
            }
        }
        return done
    }

    private static func key(_ path: some Sequence<String>) -> String { path.joined(separator: "/") }
}
