import Foundation

/// `word` as one word of a POSIX shell command: as it is when it holds only characters no shell treats
/// specially (so a command shown to a user stays readable), else in single quotes.
public func shellQuote(_ word: String) -> String {
    if !word.isEmpty && word.unicodeScalars.allSatisfy(shellSafe.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

private let shellSafe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-,:@%+=/".unicodeScalars)
