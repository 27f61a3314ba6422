import CloudHTTP
import Crypto
import Foundation
import OpenStack
import TestSupport
import Testing
import Reporting

/// Uploads to a real Glance behind a real Keystone (both from PyPI, on 127.0.0.1), read back through
/// Glance's API. Each test has its own servers, stopped and removed at its end.
@Suite("Glance upload against a real Keystone and Glance", .serialized)
struct GlanceUploadTests {
    static func credentials(_ cloud: RealOpenStack, _ name: String, password: String? = nil, token: String = "none") throws -> CloudCredentials {
        let file = try cloud.writeCloudsFile(password: password, token: token)
        return try CloudCredentials.load(cloud: name, environment: ["OS_CLIENT_CONFIG_FILE": file.path])
    }

    /// Uploads `request` as cloud `name` of the servers' clouds.yaml, with quick retries.
    static func upload(_ request: GlanceUploadRequest, to cloud: RealOpenStack, as name: String = "devstack",
                       events: Recorder<ProgressEvent> = Recorder()) async throws -> GlanceUploadResult {
        let retry = RetryPolicy(attempts: 4, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200))
        return try await KeystoneSession.with(try credentials(cloud, name), retry: retry) { keystone in
            try await GlanceUpload(request).run(keystone: keystone) { events.append($0) }
        }
    }

    static func sha512(_ data: Data) -> String { SHA512.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    /// Glance holds exactly the file: same bytes (downloaded), size, SHA-512, disk format, status.
    static func expectStored(_ result: GlanceUploadResult, file: URL, format: String, in cloud: RealOpenStack) async throws {
        let bytes = try Data(contentsOf: file)
        let image = try await cloud.image(result.imageID)
        #expect(image["status"] as? String == "active")
        #expect(image["disk_format"] as? String == format && result.diskFormat == format)
        #expect(image["os_hash_algo"] as? String == "sha512")
        #expect(image["os_hash_value"] as? String == Self.sha512(bytes))
        #expect(result.sha512 == Self.sha512(bytes))
        #expect((image["size"] as? NSNumber)?.intValue == bytes.count)
        #expect(try await cloud.download(result.imageID) == bytes, "the bytes read back differ")
    }

    @Test("qcow2 and raw upload with properties; Glance holds the same bytes, SHA-512 and disk format, told by content")
    func plainUploads() async throws {
        let image = try TestImage()
        defer { image.remove() }
        try await withRealOpenStack { cloud in
            var request = GlanceUploadRequest(image: image.qcow2, name: "redis-qcow2")
            request.properties = ["os_distro": "debian", "hw_disk_bus": "virtio", "sw_database_redis_version": "7.0"]
            request.minDiskGB = 1
            let events = Recorder<ProgressEvent>()
            let qcow2 = try await Self.upload(request, to: cloud, events: events)
            try await Self.expectStored(qcow2, file: image.qcow2, format: "qcow2", in: cloud)
            let stored = try await cloud.image(qcow2.imageID)
            #expect(stored["os_distro"] as? String == "debian" && stored["hw_disk_bus"] as? String == "virtio")
            #expect(stored["sw_database_redis_version"] as? String == "7.0" && stored["min_disk"] as? Int == 1)
            #expect(stored["visibility"] as? String == "private" && stored["container_format"] as? String == "bare")
            #expect(qcow2.method == "upload")
            let phases = events.all.compactMap { if case .stepFinished(let phase, _) = $0 { GlanceUploadPhase(rawValue: phase) } else { nil } }
            #expect(phases == [.checking, .creating, .uploading, .verifying])
            #expect(events.all.contains(.bytes(step: "uploading", done: qcow2.bytes, total: qcow2.bytes)))

            let raw = try await Self.upload(GlanceUploadRequest(image: image.raw, name: "redis-raw"), to: cloud)
            try await Self.expectStored(raw, file: image.raw, format: "raw", in: cloud)
        }
    }

    @Test("--import uses glance-direct (stage, import, wait for active) when the cloud offers it")
    func glanceDirect() async throws {
        let image = try TestImage()
        defer { image.remove() }
        try await withRealOpenStack { cloud in
            var request = GlanceUploadRequest(image: image.qcow2, name: "imported")
            request.useImport = true
            request.importPolling = .init(initial: .milliseconds(200), maximum: .seconds(1))
            let events = Recorder<ProgressEvent>()
            let result = try await Self.upload(request, to: cloud, events: events)
            #expect(result.method == "glance-direct")
            try await Self.expectStored(result, file: image.qcow2, format: "qcow2", in: cloud)
            let phases = events.all.compactMap { if case .stepFinished(let phase, _) = $0 { GlanceUploadPhase(rawValue: phase) } else { nil } }
            #expect(phases == [.checking, .creating, .uploading, .importing, .verifying])
        }
    }

    @Test("token and application-credential auth upload too; the interface and region pick the endpoint")
    func authAndEndpoints() async throws {
        let image = try TestImage(size: 4 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withRealOpenStack { cloud in
            let token = try await cloud.token()
            let viaApplicationCredential = try await Self.upload(
                GlanceUploadRequest(image: image.raw, name: "app-credential"), to: cloud, as: "app-credential")
            try await Self.expectStored(viaApplicationCredential, file: image.raw, format: "raw", in: cloud)
            let credentials = try Self.credentials(cloud, "token", token: token)
            let viaToken = try await KeystoneSession.with(credentials) { keystone in
                try await GlanceUpload(GlanceUploadRequest(image: image.raw, name: "token")).run(keystone: keystone) { _ in }
            }
            try await Self.expectStored(viaToken, file: image.raw, format: "raw", in: cloud)
            #expect(cloud.proxyRequests().isEmpty, "RegionOne public is Glance itself")

            _ = try await Self.upload(GlanceUploadRequest(image: image.raw, name: "internal"), to: cloud, as: "internal")
            let throughInternal = cloud.proxyRequests().count
            #expect(cloud.proxyRequests().contains { $0["method"] as? String == "PUT" && ($0["path"] as? String)?.hasSuffix("/file") == true })
            _ = try await Self.upload(GlanceUploadRequest(image: image.raw, name: "region-two"), to: cloud, as: "region-two")
            #expect(cloud.proxyRequests().count > throughInternal, "RegionTwo's endpoint is the proxy")

            var nowhere = try Self.credentials(cloud, "devstack")
            nowhere.region = "RegionNine"
            await #expect { try await KeystoneSession.with(nowhere) { try GlanceUploadTests.imageEndpoint($0) } } throws: { error in
                guard case OpenStackError.noEndpoint("image", "public", "RegionNine", let available) = error else { return false }
                return available.count == 4
            }
        }
    }

    static func imageEndpoint(_ keystone: KeystoneSession) throws -> URL { try keystone.endpoint(of: "image") }

    @Test("a wrong password is Keystone's 401 with what to check, and the password is in no text")
    func wrongPassword() async throws {
        try await withRealOpenStack { cloud in
            let credentials = try Self.credentials(cloud, "devstack", password: "not-the-password-123")
            await #expect { try await KeystoneSession.with(credentials) { _ in } } throws: { error in
                guard case OpenStackError.http("POST", _, 401, _, let hint) = error else { return false }
                return hint?.contains("password") == true && !"\(error)".contains("not-the-password-123")
            }
        }
    }

    @Test("content that is not the disk format sent gets Glance's 415 with a hint; the queued image is deleted")
    func contentMismatch() async throws {
        let image = try TestImage(size: 4 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withRealOpenStack { cloud in
            var request = GlanceUploadRequest(image: image.raw, name: "mismatch")
            request.diskFormat = "qcow2"
            await #expect { try await Self.upload(request, to: cloud) } throws: { error in
                guard case OpenStackError.http("PUT", _, 415, let message, let hint) = error else { return false }
                return message.contains("does not match") && hint?.contains("disk format") == true
            }
            let left = try await cloud.images()
            #expect(left.isEmpty, "the queued image was deleted")
        }
    }

    @Test("5xx answers and a 503 with Retry-After are retried; the upload ends active and whole")
    func retries() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 4 << 20)
        defer { image.remove() }
        try await withRealOpenStack(failing: ["POST /v2/images 503 1", "PUT /file 500 2"]) { cloud in
            let result = try await Self.upload(GlanceUploadRequest(image: image.qcow2, name: "flaky"), to: cloud, as: "internal")
            try await Self.expectStored(result, file: image.qcow2, format: "qcow2", in: cloud)
            let seen = cloud.proxyRequests().map { "\($0["method"] ?? "") \(($0["path"] as? String)?.split(separator: "/").last ?? "") \($0["status"] ?? "")" }
            #expect(seen.filter { $0.hasPrefix("POST images") } == ["POST images 503", "POST images 201"])
            #expect(seen.filter { $0.hasPrefix("PUT file") } == ["PUT file 500", "PUT file 500", "PUT file 204"])
        }
    }

    @Test("an image with a backing file is refused before any request, naming it and saying to flatten it")
    func backingFile() throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        let overlay = try image.overlay(backedBy: "/etc/shadow")
        let error = #expect(throws: OpenStackError.self) { try GlanceUploadRequest(image: overlay, name: "overlay").validate() }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("backing file /etc/shadow") && text.contains("flatten it with dibkit convert first"), "\(text)")
    }
}
