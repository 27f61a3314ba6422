import Foundation
import QcowIO
import TestSupport
import Testing

extension ImageFolder {
    func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Runs a command in the folder and returns its exit status (without requiring success).
    func status(_ arguments: [String]) throws -> Int32 {
        try runCommand(arguments, in: url).status
    }

    /// 24 MiB of guest data: 3 MiB random (incompressible), text, zero gaps, a tail at an odd offset.
    func makeSource(_ name: String = "source.raw") throws {
        try run(["qemu-img", "create", "-q", "-f", "raw", name, "24M"])
        try run(["bash", "-c", """
            head -c 3M /dev/urandom | dd of=\(name) bs=1M seek=1 conv=notrunc status=none
            seq 1 400000 | dd of=\(name) bs=1M seek=8 conv=notrunc status=none
            head -c 777 /dev/urandom | dd of=\(name) bs=1 seek=$((24*1024*1024-900)) conv=notrunc status=none
            """])
    }

    /// Converts with QcowIO.
    @discardableResult
    func convert(_ input: String, _ output: String, _ options: ConvertOptions) async throws -> ConvertResult {
        try await QcowIO.convert(from: path(input), to: path(output), options: options)
    }

    /// Overwrites bytes of `name` at `offset` with the big-endian `value`.
    func patch<T: FixedWidthInteger>(_ name: String, at offset: UInt64, _ value: T) throws {
        let handle = try FileHandle(forWritingTo: path(name))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: withUnsafeBytes(of: value.bigEndian) { Data($0) })
        try handle.close()
    }

    /// The big-endian `T` at `offset` of `name`.
    func peek<T: FixedWidthInteger>(_ name: String, at offset: UInt64, as _: T.Type = T.self) throws -> T {
        let handle = try FileHandle(forReadingFrom: path(name))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let data = try #require(try handle.read(upToCount: MemoryLayout<T>.size))
        return data.reduce(T.zero) { $0 << 8 | T($1) }
    }

    /// Files in the folder, sorted.
    func files() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
}
