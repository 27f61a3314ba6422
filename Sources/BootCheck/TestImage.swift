public import Foundation
public import Reporting
import HostProcesses

/// What `dibkit test` is asked to check.
public struct TestRequest: Sendable {
    /// The image to boot (qcow2 or raw); never modified.
    public var image: URL
    /// A `#cloud-config` with the database's settings; nil: random ones are made.
    public var userData: URL?
    /// The database the image holds; nil: its manifest says.
    public var database: DatabaseKind?
    /// Power the guest down and boot it again to check that the settings persist.
    public var reboot = true
    /// How long one boot may take until the database answers; nil: the accelerator's default.
    public var bootTimeout: Duration?
    /// Where to keep the serial console of the boot(s).
    public var keepConsole: URL?
    /// The firmware to boot with.
    public var firmware: Firmware = .bios

    public init(image: URL) { self.image = image }
}

/// `dibkit test`: decides which database the image holds (the request's, else its manifest's), reads the
/// user-data's settings or makes random ones, picks the accelerator, then boots and checks (`runBootCheck`).
/// - Throws: `BootCheckError` (bad input: no database known, unreadable user-data or image), what
///   `runBootCheck` throws.
public func testImage(_ request: TestRequest, progress: @escaping ProgressHandler) async throws -> BootReport {
    guard let kind = try request.database ?? DatabaseKind.fromManifest(of: request.image) else {
        throw BootCheckError.unknownDatabase(
            "no manifest \(Manifest.url(beside: request.image).path) says which database the image holds; pass --database NAME")
    }
    let settings = try request.userData.map { try DatabaseSettings.read(userData: $0, kind: kind) }
        ?? DatabaseSettings.random(kind: kind)
    var options = BootCheckOptions(image: request.image, userData: request.userData, database: settings)
    options.reboot = request.reboot
    options.bootTimeout = request.bootTimeout
    options.keepConsole = request.keepConsole
    options.firmware = request.firmware
    let choice = await AcceleratorChoice.detect(reportingTo: progress)
    try Task.checkCancellation()
    return try await runBootCheck(options, accelerator: choice, progress: progress)
}

/// `dibkit test --topology FILE`: the database as for `testImage`, the topology read from `file`, then
/// `runTopologyCheck`. `keepConsoles` is a folder for each instance's console.
/// - Throws: `BootCheckError` (bad input: no database known, an unreadable topology or user-data), what
///   `runTopologyCheck` throws.
public func testTopology(
    image: URL, file: URL, database: DatabaseKind?, bootTimeout: Duration?, keepConsoles: URL?,
    progress: @escaping ProgressHandler
) async throws -> TopologyReport {
    guard let kind = try database ?? DatabaseKind.fromManifest(of: image) else {
        throw BootCheckError.unknownDatabase(
            "no manifest \(Manifest.url(beside: image).path) says which database the image holds; pass --database NAME")
    }
    _ = try BootRun.format(of: image.standardizedFileURL)
    var options = TopologyOptions(image: image, topology: try Topology.read(file, kind: kind), database: kind)
    options.bootTimeout = bootTimeout
    options.keepConsoles = keepConsoles
    let choice = await AcceleratorChoice.detect(reportingTo: progress)
    try Task.checkCancellation()
    return try await runTopologyCheck(options, accelerator: choice, progress: progress)
}
