import DurableFiles
import Foundation

/// Release files past their Valid-Until (`--allow-expired-release`): what apt is told while building, and
/// how the date is read to refuse them otherwise. The image keeps apt's own check.
enum ExpiredRelease {
    /// apt's option.
    static let aptOption = #"Acquire::Check-Valid-Until "false""#
    /// The option's file in the root during the build; sysprep removes it.
    static let aptFile = "etc/apt/apt.conf.d/00dibkit-allow-expired-release"
    /// An mmdebstrap customize hook taking the option out of the `99mmdebstrap` file `--aptopt` writes.
    static let forgetHook = #"sed -i '/Check-Valid-Until/d' "$1/etc/apt/apt.conf.d/99mmdebstrap""#

    /// Writes the option for apt in `root`.
    static func install(in root: URL) throws {
        try FileWriter.write(Data("// dibkit build (--allow-expired-release); removed from the image\n\(aptOption);\n".utf8),
                             to: root.appendingPathComponent(aptFile), mode: 0o644)
    }

    /// The `Valid-Until` field of a Release or InRelease text, as written and as a date, if it has one.
    static func validUntil(in release: String) -> (text: String, date: Date)? {
        for line in release.split(separator: "\n") where line.hasPrefix("Valid-Until:") {
            let value = line.dropFirst("Valid-Until:".count).trimmingCharacters(in: .whitespaces)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            return formatter.date(from: value).map { (value, $0) }
        }
        return nil
    }
}
