import CloudHTTP
import Foundation
import QcowIO
import Reporting
import S3

/// One upload's steps, top to bottom, each timed and reported.
struct UploadSession: Sendable {
    let request: DigitalOceanUploadRequest
    let imageInfo: ImageInfo
    let api: DigitalOceanAPI
    let spaces: S3Client
    let timer: StepTimer
    var events: ProgressHandler { timer.progress }

    func run() async throws -> DigitalOceanUploadResult {
        try await step(.checking, "token, regions and Space \(request.space)") { try await checkAccess() }
        return try await withWorkDirectory { directory in
            let prepared = try await step(.preparing, request.image.lastPathComponent) { try await prepare(in: directory) }
            let staged = try await step(.staging, "\(prepared.format.rawValue) (the smaller format) to Space \(request.space)") {
                try await stage(prepared)
            }
            let deadline = ContinuousClock.now + request.timeout
            let image: DigitalOceanModels.Image
            do {
                image = try await step(.importing, "as \(request.name) in \(request.region)") { try await importImage(from: staged, until: deadline) }
            } catch {
                let importStillRuns = (error as? DigitalOceanError)?.leavesStagedObject ?? false
                if !request.keepStaged, !importStillRuns {
                    try? await runIgnoringCancellation { [self] in try await unstage(staged) }
                }
                throw error
            }
            if !request.keepStaged {
                try await step(.cleaning, staged.key) { try await unstage(staged) }
            }
            var regions = image.regions ?? [request.region]
            if !request.extraRegions.isEmpty {
                regions += try await step(.copying, request.extraRegions.joined(separator: ", ")) {
                    try await copy(imageID: image.id, until: deadline)
                }
            }
            var firewall: DigitalOceanUploadResult.Firewall?
            if let wanted = request.firewall {
                firewall = try await step(.firewall, "\(wanted.name) for tag \(wanted.tag)") { try await applyFirewall(wanted) }
            }
            return DigitalOceanUploadResult(
                imageID: image.id, name: request.name, distribution: request.distribution, status: image.status ?? "available",
                regions: Array(Set(regions)).sorted(), minDiskSizeGB: image.minDiskSize,
                staged: staged.summary(kept: request.keepStaged), firewall: firewall, seconds: timer.secondsByStep)
        }
    }

    /// The token works (the region list comes back), the regions are open, the Space answers to the keys.
    private func checkAccess() async throws {
        let live = Dictionary(try await api.regions().map { ($0.slug, $0) }) { first, _ in first }
        for slug in [request.region] + request.extraRegions {
            guard let region = live[slug], region.available else {
                throw DigitalOceanError.invalidInput("DigitalOcean says region \(slug) is not available now; pick another (doctl compute region list)")
            }
            if slug != request.region, !region.features.contains("image_transfer") {
                throw DigitalOceanError.invalidInput("region \(slug) does not take image transfers; leave it out of --regions")
            }
        }
        try await spaces.checkBucket(request.space)
    }

    /// Runs `body` as phase `phase`: reports start and end and records its seconds.
    func step<T: Sendable>(_ phase: UploadPhase, _ detail: String, _ body: () async throws -> T) async throws -> T {
        try await timer.time(phase.rawValue, detail: detail, body)
    }

    /// A temporary folder in the work directory for the conversions, removed afterwards.
    private func withWorkDirectory<T: Sendable>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = request.workDirectory.appendingPathComponent("dibkit-upload-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DigitalOceanError.invalidInput("cannot make a work folder in \(request.workDirectory.path): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }
}

extension DigitalOceanError {
    /// A timed-out import goes on at DigitalOcean and still needs the staged object.
    var leavesStagedObject: Bool {
        if case .timedOut = self { return true }
        return false
    }
}
