public import Foundation

extension SigV4Signer {
    /// `x-amz-date`'s form: `20150830T123600Z` (UTC).
    public static func timestamp(_ date: Date) -> String {
        let parts = utc(date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
    }

    /// The scope's date: `20150830` (UTC).
    static func day(of date: Date) -> String { String(timestamp(date).prefix(8)) }

    /// Percent-encodes every byte but the unreserved characters (`A-Z a-z 0-9 - . _ ~`) and, if asked, `/`.
    public static func encode(_ text: String, keepingSlashes: Bool) -> String {
        var result = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if character.isASCII, character.isLetter || character.isNumber || "-._~".contains(character) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                result.append(character)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// Query parameters encoded and sorted by name, then value: `a=1&b=` (a name alone gets `=`).
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map {
            (encode($0.name, keepingSlashes: false), encode($0.value, keepingSlashes: false))
        }
        let sorted = encoded.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private static func utc(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
