public import Foundation

/// One hook script: `install.d/20-redis-config` of element `redis`.
public struct Hook: Sendable, Equatable {
    public let element: String
    public let phase: Phase
    public let name: String
    public let path: URL

    /// Whether diskimage-builder's `dib-run-parts` runs a file of this name: `^[0-9A-Za-z_-]+$`
    /// (so `50-foo.sh` is skipped).
    public static func isRunnable(name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    /// `dib-run-parts`' order (`LC_ALL=C sort -n`): by the number the name starts with (none counts
    /// as 0), then byte by byte. So `5-a` runs before `10-b`, and `10-a` before `10-b`.
    public static func runsBefore(_ a: String, _ b: String) -> Bool {
        let (left, right) = (leadingNumber(a), leadingNumber(b))
        if left != right { return left < right }
        return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    private static func leadingNumber(_ name: String) -> Decimal {
        var bytes = Substring(name)
        let negative = bytes.first == "-"
        if negative { bytes = bytes.dropFirst() }
        let digits = bytes.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Decimal(string: String(digits)) else { return 0 }
        return negative ? -value : value
    }
}
