import Foundation
import QcowIO

/// libFuzzer entry: the bytes become an image file, which goes through format detection, header parsing
/// (`info`), the reader (extents and reads, bounded), and `check`. Any QcowError is a fine outcome; a
/// crash, a hang or a runaway allocation is a finding. Built only with DIBKIT_FUZZ=1 (see scripts/fuzz-qcow).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let url = FuzzFile.url
    guard (try? Data(bytes: data, count: size).write(to: url)) != nil else { return 0 }
    _ = try? QcowIO.info(of: url)
    if let reader = try? openImage(url) { readSome(reader) }
    _ = try? QcowIO.check(url)
    return 0
}

/// Walks at most 256 extents and reads at most 4 MiB of guest data.
private func readSome(_ reader: any GuestReader) {
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    var offset: UInt64 = 0, budget = 4 << 20
    for _ in 0..<256 where offset < reader.virtualSize && budget > 0 {
        guard let extent = try? reader.extent(at: offset, limit: 1 << 30) else { return }
        if !extent.isZero {
            let count = Int(min(UInt64(buffer.count), extent.length))
            let ok = buffer.withUnsafeMutableBytes { raw in
                (try? reader.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<count]))) != nil
            }
            guard ok else { return }
            budget -= count
        }
        offset += extent.length
    }
}

/// One scratch file per fuzzing process, in the working directory (scripts/fuzz-qcow removes it).
private enum FuzzFile {
    static let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("qcowfuzz-\(getpid()).img")
}
