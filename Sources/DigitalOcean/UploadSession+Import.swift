import CloudHTTP
import Foundation
import QcowIO
import Reporting

extension UploadSession {
    /// `POST /v2/images`, then polls until `available`. A `deleted` image stops the wait at once with
    /// DigitalOcean's message; on cancellation the half-imported image is deleted.
    func importImage(from staged: StagedObject, until deadline: ContinuousClock.Instant) async throws -> DigitalOceanModels.Image {
        let created = try await api.createCustomImage(.init(
            name: request.name, url: staged.url, region: request.region, distribution: request.distribution,
            description: request.description, tags: request.tags.isEmpty ? nil : request.tags))
        events(.status("image \(created.id) created; DigitalOcean fetches \(staged.url)"))
        do {
            return try await poll(until: deadline, timedOut: { status in
                DigitalOceanError.timedOut(
                    "image \(created.id) was still \(status) when --timeout (\(Self.describe(request.timeout))) ran out; the import goes on at "
                        + "DigitalOcean: follow it with `doctl compute image get \(created.id)`. The staged object was left for it: "
                        + "\(staged.url) — delete it once the import ends (s3cmd or aws s3 rm s3://\(staged.bucket)/\(staged.key)). "
                        + "Give large images a longer --timeout.")
            }) { () async throws -> PollOutcome<DigitalOceanModels.Image> in
                let image = try await api.image(id: created.id)
                switch image.status {
                case "available":
                    return .done(image)
                case "deleted", "retired":
                    throw DigitalOceanError.importFailed(imageID: created.id, message: image.errorMessage ?? "", hint: importHint(staged))
                case let status:
                    events(.status("import \(status ?? "NEW")"))
                    return .waiting(status ?? "NEW")
                }
            }
        } catch is CancellationError {
            events(.status("deleting the half-imported image \(created.id)"))
            try? await runIgnoringCancellation { [api] in try await api.deleteImage(id: created.id) }
            throw CancellationError()
        }
    }

    /// Copies the image to each extra region at once and waits for every copy.
    func copy(imageID: Int, until deadline: ContinuousClock.Instant) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for region in request.extraRegions {
                group.addTask { [self] in
                    let action = try await api.transfer(imageID: imageID, to: region)
                    try await poll(until: deadline, timedOut: { status in
                        DigitalOceanError.timedOut(
                            "copying image \(imageID) to \(region) was still \(status) when --timeout ran out; it goes on at DigitalOcean: "
                                + "follow it with `doctl compute image-action get \(imageID) --action-id \(action.id)`")
                    }) { () async throws -> PollOutcome<Void> in
                        let current = try await api.action(imageID: imageID, actionID: action.id)
                        switch current.status {
                        case "completed": return .done(())
                        case "errored": throw DigitalOceanError.transferFailed(imageID: imageID, region: region, actionID: action.id)
                        case let status:
                            events(.status("copy to \(region) \(status)"))
                            return .waiting(status)
                        }
                    }
                    return region
                }
            }
            var copied: [String] = []
            for try await region in group { copied.append(region) }
            return copied
        }
    }

    enum PollOutcome<T: Sendable>: Sendable {
        case done(T)
        case waiting(String)
    }

    /// Calls `check` until it is done, waiting longer each time (`request.polling`), never past `deadline`.
    func poll<T: Sendable>(
        until deadline: ContinuousClock.Instant, timedOut: (String) -> DigitalOceanError, _ check: () async throws -> PollOutcome<T>
    ) async throws -> T {
        var wait = request.polling.initial
        while true {
            let status: String
            switch try await check() {
            case .done(let value): return value
            case .waiting(let current): status = current
            }
            let now = ContinuousClock.now
            guard now < deadline else { throw timedOut(status) }
            try await Task.sleep(for: min(wait, deadline - now))
            wait = min(wait * request.polling.multiplier, request.polling.maximum)
        }
    }

    private func importHint(_ staged: StagedObject) -> String {
        "DigitalOcean fetched \(staged.url) (\(staged.format.rawValue), \(staged.bytes) bytes). It imports raw, qcow2, vhdx, vdi and "
            + "vmdk, plain or gzip/bzip2-compressed, up to 100 GB uncompressed, with cloud-init and an ext3/ext4 root. "
            + (request.keepStaged ? "The staged object was kept for a look." : "The staged object was deleted; --keep-staged keeps it for a look.")
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = Int(duration.inSeconds)
        return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s"
    }
}
