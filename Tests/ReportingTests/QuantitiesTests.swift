import Reporting
import Testing

@Suite("Sizes and durations as options take them and reports show them")
struct QuantitiesTests {
    @Test("sizes parse with binary units; junk is refused", arguments: [
        ("3G", UInt64(3) << 30), ("2048M", UInt64(2048) << 20), ("512MiB", UInt64(512) << 20), ("64K", UInt64(64) << 10),
        ("1048576", UInt64(1_048_576)), ("2T", UInt64(2) << 40),
    ])
    func sizes(text: String, bytes: UInt64) throws {
        #expect(try Quantities.bytes(text) == bytes)
    }

    @Test("a size that is not one, zero or one that overflows is refused with what was expected",
          arguments: ["lots", "0", "-1G", "", "99999999999T"])
    func badSizes(text: String) {
        #expect(throws: QuantityError.self) { try Quantities.bytes(text) }
        #expect(failureKind(of: QuantityError("x")) == .badInput)
    }

    @Test("durations: seconds, minutes, hours, days; junk is refused")
    func durations() throws {
        #expect(try Quantities.duration("90s") == .seconds(90))
        #expect(try Quantities.duration("60m") == .seconds(3600))
        #expect(try Quantities.duration("2h") == .seconds(7200))
        #expect(try Quantities.duration("30d") == .seconds(30 * 86400))
        #expect(try Quantities.duration("45") == .seconds(45))
        for bad in ["", "m", "-5m", "0s", "1w", "ten"] {
            #expect(throws: QuantityError.self) { try Quantities.duration(bad) }
        }
    }

    @Test("bytes as people read them", arguments: [
        (UInt64(512), "512 B"), (UInt64(64) << 10, "64 KiB"), (UInt64(1536) << 10, "1.5 MiB"), (UInt64(4) << 30, "4 GiB"),
        (UInt64(511) << 20, "511 MiB"),
    ])
    func formatted(bytes: UInt64, text: String) {
        #expect(Quantities.format(bytes: bytes) == text)
    }
}
