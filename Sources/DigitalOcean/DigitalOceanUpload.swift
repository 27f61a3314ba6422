import Foundation
import QcowIO
import CloudHTTP
import S3
public import Reporting

/// Ships an image to DigitalOcean as a custom image: checks the input and the credentials, converts the
/// image to the smaller of qcow2 and raw.gz, stages it in a Space by multipart upload, imports it, copies
/// it to more regions, sets up a firewall, and deletes the staged object. Nothing is left behind on
/// failure or cancellation but what the error names.
public struct DigitalOceanUpload: Sendable {
    public let request: DigitalOceanUploadRequest

    public init(_ request: DigitalOceanUploadRequest) {
        self.request = request
    }

    /// Runs the upload.
    /// - Parameter events: progress, from any thread; its texts hold no secrets.
    /// - Returns: the image's id, regions, what was staged, the firewall, and seconds per phase.
    /// - Throws: `DigitalOceanError` (its bad-input errors before any network work); `CancellationError` when
    ///   cancelled, after aborting the upload, deleting the staged object and any half-imported image.
    public func run(events: @escaping ProgressHandler) async throws -> DigitalOceanUploadResult {
        let imageInfo = try request.validate()
        let redactor = SecretRedactor(secrets: request.secrets)
        return try await HTTPTransport.with(redactor: redactor, retry: request.retry, onRetry: { events(.retrying($0.text)) }) { transport in
            let session = UploadSession(
                request: request, imageInfo: imageInfo,
                api: DigitalOceanAPI(baseURL: request.apiURL, token: request.token.value, transport: transport),
                spaces: S3Client(
                    endpoint: request.spacesEndpoint,
                    signer: SigV4Signer(credentials: request.spacesCredentials, region: request.region),
                    transport: transport, serviceName: "Spaces"),
                timer: StepTimer(progress: events))
            return try await session.run()
        }
    }
}
