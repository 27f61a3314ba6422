/// What is wrong with the elements asked for, and what to do about it.
public enum ElementError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No element of that name: `chain` is how it was reached, e.g. `["redis", "firstboot", "cloud-init"]`.
    case missing(name: String, chain: [String], searched: [String], available: [String])
    /// Elements depend on each other in a circle: `["a", "b", "a"]`.
    case cycle([String])
    /// Two elements provide the same name.
    case conflictingProvides(name: String, elements: [String])
    /// Two elements bring a hook of the same name to the same phase.
    case duplicateHook(phase: String, hook: String, elements: [String])
    /// No element provides `operating-system`.
    case noOperatingSystem(elements: [String])
    /// A file of an element cannot be understood.
    case badFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let name, let chain, let searched, let available):
            let via = !chain.isEmpty ? " (needed by \((chain + [name]).joined(separator: " → ")))" : ""
            return "no element named '\(name)'\(via); looked in \(searched.joined(separator: ", ")); "
                + "elements that exist: \(available.joined(separator: ", ")). Add its folder to ELEMENTS_PATH."
        case .cycle(let chain):
            return "element dependency cycle: \(chain.joined(separator: " → ")); remove one of these element-deps lines"
        case .conflictingProvides(let name, let elements):
            return "elements \(elements.joined(separator: " and ")) both provide '\(name)'; use only one of them"
        case .duplicateHook(let phase, let hook, let elements):
            return "elements \(elements.joined(separator: " and ")) both have \(phase)/\(hook); rename one of the hooks"
        case .noOperatingSystem(let elements):
            return "none of the elements (\(elements.joined(separator: ", "))) provides 'operating-system'; "
                + "add a base element such as debian"
        case .badFile(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
