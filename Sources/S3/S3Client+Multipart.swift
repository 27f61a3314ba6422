import CloudHTTP
import Foundation
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Starts a multipart upload and returns its id.
    /// - Parameter acl: a canned ACL such as `public-read`, applied to the object when complete.
    func createMultipartUpload(bucket: String, key: String, acl: String?, contentType: String) async throws -> String {
        let operation = "POST \(key)?uploads"
        let headers = [("content-type", contentType)] + (acl.map { [("x-amz-acl", $0)] } ?? [])
        // Sent again after a lost answer, at worst an unused upload id remains: nothing is stored under it.
        let response = try await send("POST", bucket: bucket, key: key, query: [("uploads", "")], headers: headers, operation: operation)
        guard response.status == 200, let id = S3XML.value(of: "UploadId", in: response.bodyText) else {
            throw response.status == 200
                ? ServiceError.unreadableResponse(name: serviceName, operation: operation, reason: "no UploadId")
                : error(response, operation: operation, bucket: bucket)
        }
        return id
    }

    /// Sends one part and returns its ETag.
    func uploadPart(bucket: String, key: String, uploadID: String, number: Int, bytes: ByteBuffer) async throws -> String {
        let operation = "PUT \(key) part \(number)"
        let response = try await send(
            "PUT", bucket: bucket, key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)],
            body: bytes, timeout: .seconds(900), operation: operation)
        guard response.status == 200 else { throw error(response, operation: operation, bucket: bucket) }
        guard let etag = response.headers.first(name: "etag") else {
            throw ServiceError.unreadableResponse(name: serviceName, operation: operation, reason: "no ETag")
        }
        return etag
    }

    /// Joins the parts, given as ETags in part order, into the object.
    func completeMultipartUpload(bucket: String, key: String, uploadID: String, etags: [String]) async throws {
        let operation = "POST \(key)?uploadId (complete)"
        let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>" }
        var body = ByteBuffer()
        body.writeString("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>")
        let response = try await send(
            "POST", bucket: bucket, key: key, query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")],
            body: body, timeout: .seconds(600), operation: operation)
        // S3 may answer 200 and still report an error in the body.
        guard response.status == 200, !response.bodyText.contains("<Error>") else {
            throw error(response, operation: operation, bucket: bucket)
        }
    }

    /// Abandons a multipart upload, dropping the parts already sent.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        let operation = "DELETE \(key)?uploadId (abort)"
        let response = try await send("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadID)], operation: operation)
        guard [200, 204, 404].contains(response.status) else { throw error(response, operation: operation, bucket: bucket) }
    }
}
