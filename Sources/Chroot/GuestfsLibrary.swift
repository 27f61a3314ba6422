internal import CGuestfs

/// libguestfs's functions, loaded on first use (see `CGuestfs/shim.h` for why it is not linked).
enum GuestfsLibrary {
    /// Loaded once, by the first handle; immutable afterwards, so sharing it between threads is safe.
    nonisolated(unsafe) private static let loaded: Result<UnsafePointer<cguestfs_api>, ChrootError> = {
        var message: UnsafePointer<CChar>?
        guard let api = cguestfs_load(&message) else {
            let reason = message.map { String(cString: $0) } ?? "unknown reason"
            return .failure(.toolMissing("libguestfs (\(reason))", package: "libguestfs0"))
        }
        return .success(api)
    }()

    /// The function table.
    /// - Throws: `ChrootError.toolMissing` when libguestfs cannot be loaded.
    static func functions() throws -> cguestfs_api { try loaded.get().pointee }
}
