public import DurableFiles
public import Reporting

/// What `dibkit flavor` can refuse, with what to do about it.
public enum FlavorError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// No predefined set for this database.
    case unknownDatabase(String)
    /// The database has no flavor of this name.
    case unknownFlavor(database: String, name: String, known: [String])
    /// A value below the field's minimum (and not -1).
    case badValue(field: String, value: Int, minimum: Int)
    /// `change` was given no field.
    case nothingToChange
    /// The config file cannot be read, or holds no flavors.
    case badConfigFile(path: String, reason: String)
    /// The config file could not be written (a full disk among the causes); the old one is as it was.
    case cannotWrite(FileWriteError)

    /// A failed write is the machine's fault (exit 1); every other flavor error is a fault of the input.
    public var failureKind: FailureKind {
        if case .cannotWrite = self { .failed } else { .badInput }
    }

    public var description: String {
        switch self {
        case .unknownDatabase(let name):
            return "no flavors for database '\(name)'; known: \(PredefinedFlavors.databases.joined(separator: ", "))"
        case .unknownFlavor(let database, let name, let known):
            return "\(database) has no flavor '\(name)'; its flavors: \(known.joined(separator: ", "))"
        case .badValue(let field, let value, let minimum):
            return "\(field) \(value) is too small: give at least \(minimum), or -1 to restore the default"
        case .nothingToChange:
            return "nothing to change: give at least one of -c, -m, -r, -s, -b (-1 restores a default)"
        case .badConfigFile(let path, let reason):
            return "\(path): \(reason)"
        case .cannotWrite(let error):
            return "\(error); the flavors were not changed"
        }
    }
}
