import Foundation
import ImageBuild
import QcowIO
import Reporting
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Reproducible builds: SOURCE_DATE_EPOCH and the same inputs give the same bytes")
    struct ReproducibleBuildTests {
        @Test("build redis three times under SOURCE_DATE_EPOCH — from the base root, again with --no-incremental, and as raw from the installed tree: the same qcow2, the same SBOM, and the raw the qcow2 holds")
        func sameInputsSameBytes() async throws {
            let epoch = Date(timeIntervalSince1970: 1_767_225_600)
            var builds: [(configuration: BuildConfiguration, manifest: Manifest, fixture: BuildFixture)] = []
            defer { for build in builds { build.fixture.remove() } }
            for (incremental, format) in [(true, BuildConfiguration.OutputFormat.qcow2), (false, .qcow2), (true, .raw)] {
                let fixture = try BuildFixture()
                var configuration = try fixture.configuration(["redis"], name: "redis-reproducible")
                configuration.sourceDate = epoch
                configuration.incremental = incremental
                configuration.format = format
                configuration.output = BuildConfiguration.outputURL(
                    name: "redis-reproducible", database: "redis", source: "test", format: format, imagesDirectory: fixture.images)
                builds.append((configuration, try await build(configuration) { _ in }, fixture))
            }
            let (first, second, raw) = (builds[0], builds[1], builds[2])
            #expect(second.manifest.installedTreeFromCache == nil && raw.manifest.installedTreeFromCache == true)
            #expect(first.manifest.sha256 == second.manifest.sha256, "two full builds of the same inputs differ")
            #expect(try Data(contentsOf: first.configuration.sbomURL) == Data(contentsOf: second.configuration.sbomURL))

            let converted = first.fixture.folder.appendingPathComponent("converted.raw")
            _ = try await convert(from: first.configuration.output, to: converted, options: ConvertOptions(format: .raw))
            let same = try runCommand(["cmp", "--silent", converted.path, raw.configuration.output.path])
            #expect(same.status == 0, "the raw build from the installed tree differs from the qcow2 build's disk")
        }
    }
}
