import Foundation
import HostProcesses

/// A Glance image registered as one version of a Trove datastore, e.g. datastore `redis`, version `7.0`.
public struct TroveDatastoreVersion: Sendable, Equatable {
    /// The datastore's name (`datastore_name`); Trove creates the datastore when it has none of that name.
    public var datastore: String
    /// The version's name (`name`), e.g. `7.0`.
    public var version: String
    /// The Trove manager that runs it (`datastore_manager`), e.g. `redis` or `mariadb`.
    public var manager: String
    /// The Glance image id.
    public var imageID: String
    /// Packages the guest needs (Trove's `packages`); none for an image with the database preinstalled.
    public var packages: [String]
    /// Whether instances may be created from it.
    public var active: Bool
    /// Whether it becomes the datastore's default version.
    public var isDefault: Bool

    /// Makes a registration from its parts: active and the default version unless told otherwise.
    public init(
        datastore: String, version: String, manager: String, imageID: String, packages: [String] = [],
        active: Bool = true, isDefault: Bool = true
    ) {
        self.datastore = datastore
        self.version = version
        self.manager = manager
        self.imageID = imageID
        self.packages = packages
        self.active = active
        self.isDefault = isDefault
    }

    /// Checks every field against the rules of Trove's request schema (`mgmt_datastore_version:create` in
    /// trove/common/apischema.py), so a bad value is refused before anything is uploaded.
    /// - Parameter includingImage: also the image id (false before the upload has made one).
    /// - Throws: `OpenStackError.badDatastoreVersion` naming the field and the rule.
    public func validate(includingImage: Bool = true) throws {
        for (field, value) in [("--datastore", datastore), ("--datastore-version", version), ("--datastore-manager", manager)] {
            try Self.checkName(value, field: field)
        }
        for package in packages { try Self.checkName(package, field: "--datastore-packages") }
        guard Set(packages).count == packages.count else {
            throw OpenStackError.badDatastoreVersion(field: "--datastore-packages", reason: "lists a package twice")
        }
        guard includingImage else { return }
        let hex = Set("0123456789abcdefABCDEF")
        let groups = imageID.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12], groups.allSatisfy({ $0.allSatisfy(hex.contains) }) else {
            throw OpenStackError.badDatastoreVersion(field: "image", reason: "'\(imageID)' is not a Glance image id (a UUID)")
        }
    }

    /// Trove's `non_empty_string`: 1–255 characters with a letter or digit; no control characters.
    private static func checkName(_ value: String, field: String) throws {
        guard (1...255).contains(value.count), value.contains(where: { $0.isASCII && ($0.isLetter || $0.isNumber) }),
              !value.contains(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
        else {
            throw OpenStackError.badDatastoreVersion(
                field: field, reason: "'\(value)' must be 1–255 characters with at least one letter or digit, no control characters")
        }
    }

    /// The body of `POST /mgmt/datastore-versions`.
    var requestBody: [String: Any] {
        ["version": [
            "name": version, "datastore_name": datastore, "datastore_manager": manager, "image": imageID,
            "packages": packages, "active": active, "default": isDefault,
        ] as [String: Any]]
    }

    /// The `trove-manage` commands an operator runs on a Trove controller to make the same registration,
    /// for a cloud whose catalog has no database endpoint: create the datastore if missing (an empty default
    /// version), add the version (`datastore version_name manager image_id packages active`), then make
    /// it the default.
    public var manageCommands: [String] {
        var commands = [
            ["trove-manage", "datastore_update", datastore, ""],
            ["trove-manage", "datastore_version_update", datastore, version, manager, imageID,
             packages.joined(separator: ","), active ? "1" : "0"],
        ]
        if isDefault { commands.append(["trove-manage", "datastore_update", datastore, version]) }
        return commands.map { $0.map(shellQuote).joined(separator: " ") }
    }
}
