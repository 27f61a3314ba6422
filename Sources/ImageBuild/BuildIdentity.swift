import Elements
import Foundation
import Reporting

/// What makes two builds the same build, for reproducible images: with `SOURCE_DATE_EPOCH` set, the root
/// filesystem's UUID — and through `DiskLayout` every GUID, the ESP's volume id and the ext4 hash seed — is a
/// digest of the build's inputs, so the same inputs give the same disk. The output's name and format are not
/// inputs: a raw and a qcow2 build of the same inputs hold the same disk.
enum BuildIdentity {
    /// The root UUID of `configuration`'s build of `plan` (version 5 shaped); `vendorPackageSHA256` is `-p`'s.
    static func rootUUID(of configuration: BuildConfiguration, plan: BuildPlan, vendorPackageSHA256: String?) throws -> String {
        let inputs = try inputLines(of: configuration, plan: plan, vendorPackageSHA256: vendorPackageSHA256)
        return DiskLayout.derivedUUID(from: shortDigest(of: inputs), role: "root-fs")
    }

    /// The inputs, one per line.
    static func inputLines(of configuration: BuildConfiguration, plan: BuildPlan, vendorPackageSHA256: String?) throws -> [String] {
        var lines = [
            "build v1", "dibkit \(dibkitVersion)", "SOURCE_DATE_EPOCH \(configuration.sourceDateEpoch.map { "\($0)" } ?? "none")",
            "release \(configuration.release) \(configuration.arch)", "mirror \(MirrorLogin.strip(configuration.mirror))",
            "security \(configuration.securityMirror.map(MirrorLogin.strip) ?? "none")",
            "version \(configuration.version ?? "default") \(configuration.edition?.rawValue ?? "")",
            "login \(configuration.loginUser)", "disk \(configuration.diskSize)",
            "vendor-package \(vendorPackageSHA256 ?? "none")",
        ]
        lines += (configuration.authorizedKeys?.lines ?? []).map { "key \($0)" }
        lines += configuration.extraEnvironment.filter { !InstalledTree.unkeyedVariables.contains($0.key) }
            .sorted { $0.key < $1.key }.map { "env \($0.key)=\($0.value)" }
        for element in plan.elements {
            lines.append("element \(element.name)")
            lines += try ElementFiles.digests(of: element.directory).map { "  \($0)" }
        }
        return lines
    }
}
