/// Packages to install at the start of one phase and to remove at its end.
public struct PackageSet: Sendable, Equatable {
    public var install: [String] = []
    public var uninstall: [String] = []

    public init(install: [String] = [], uninstall: [String] = []) {
        self.install = install
        self.uninstall = uninstall
    }

    /// diskimage-builder's `package-installs-squash` over `elements`, per phase: entries that do not apply
    /// are dropped; `build-only` installs and removes; `uninstall` removes, unless another entry of the
    /// phase installs the package to keep it; names go through their element's `pkg-map` (a name without a
    /// translation stays as it is, one translated to nothing is dropped). Order: elements, then file order.
    static func squash(_ elements: [Element], arch: String, variables: [String: String]) throws -> [Phase: PackageSet] {
        let distro = variables["DISTRO_NAME"] ?? ""
        let release = variables["DIB_RELEASE"]
        var result: [Phase: PackageSet] = [:]
        for phase in Phase.packagePhases {
            var install: [String] = []
            var uninstall: [String] = []
            var kept: Set<String> = []
            for element in elements {
                for entry in element.packageInstalls where entry.phase == phase {
                    guard try entry.applies(arch: arch, variables: variables) else { continue }
                    let names = element.packageMap?.packages(for: entry.package, distro: distro, release: release) ?? [entry.package]
                    if entry.buildOnly || !entry.uninstall { install.append(contentsOf: names) }
                    if entry.buildOnly || entry.uninstall { uninstall.append(contentsOf: names) } else { kept.formUnion(names) }
                }
            }
            let set = PackageSet(install: unique(install), uninstall: unique(uninstall.filter { !kept.contains($0) }))
            if set != PackageSet() { result[phase] = set }
        }
        return result
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}
