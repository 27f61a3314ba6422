import Foundation
import HostProcesses
import Testing

/// One quoting for every shell command dibkit writes: readable when it can be, always one word to the shell.
@Suite("shellQuote")
struct ShellQuotingTests {
    @Test("safe words stay bare; the rest is single-quoted, quotes included", arguments: [
        ("redis-7.0_amd64.deb", "redis-7.0_amd64.deb"), ("/var/tmp/a,b:c@d%e+f=g", "/var/tmp/a,b:c@d%e+f=g"),
        ("", "''"), ("two words", "'two words'"), ("it's", "'it'\\''s'"), ("$HOME", "'$HOME'"), ("*.deb", "'*.deb'"),
        ("a;rm -rf /", "'a;rm -rf /'"), ("naïve", "'naïve'"), ("~root", "'~root'"),
    ])
    func quoting(word: String, quoted: String) {
        #expect(shellQuote(word) == quoted)
    }

    @Test("sh reads every quoted word back as it was")
    func roundTrip() throws {
        let words = ["plain", "", "two words", "it's", "$(date)", "`id`", "a\nb", "back\\slash", "\"double\"", "naïve ✓"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "printf '%s\\0' " + words.map(shellQuote).joined(separator: " ")]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false).dropLast()
                    .map(String.init) == words)
    }
}
