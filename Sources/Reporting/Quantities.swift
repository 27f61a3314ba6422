/// Sizes and durations as dibkit's options take them and its reports show them.
public enum Quantities {
    /// `3G`, `512M`, `64K`, `1T` (binary units; a trailing `B` or `iB` is allowed) or plain bytes.
    /// - Throws: `QuantityError` when `text` is not a positive size.
    public static func bytes(_ text: String) throws -> UInt64 {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        let upper = text.uppercased().replacing("IB", with: "").replacing("B", with: "")
        if let unit = upper.last, let factor = units[unit], let number = UInt64(upper.dropLast()), number > 0,
            number <= UInt64.max / factor
        {
            return number * factor
        }
        guard let bytes = UInt64(upper), bytes > 0 else {
            throw QuantityError("'\(text)' is not a size: use a number with K, M, G or T, e.g. 3G")
        }
        return bytes
    }

    /// `90s`, `60m`, `2h`, `30d` or plain seconds.
    /// - Throws: `QuantityError` when `text` is not a positive duration.
    public static func duration(_ text: String) throws -> Duration {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let unit = text.last.flatMap { units[$0] }
        let number = unit == nil ? text : String(text.dropLast())
        guard let value = Int64(number), value > 0, value <= Int64.max / 86400 else {
            throw QuantityError("'\(text)' is not a duration such as 90s, 60m, 2h or 30d")
        }
        return .seconds(value * (unit ?? 1))
    }

    /// Sizes as people read them: 4.0 GiB, 511 MiB, 64 KiB, 512 B.
    public static func format(bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        if value >= 100 || value == value.rounded() { return "\(Int(value.rounded())) \(units[unit])" }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}

/// A size or duration that could not be read; the text says what was expected.
public struct QuantityError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public var failureKind: FailureKind { .badInput }

    public init(_ description: String) { self.description = description }
}
