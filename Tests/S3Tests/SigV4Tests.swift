import Crypto
import Foundation
import Testing

@testable import S3

/// AWS's published SigV4 examples: the signature test suite (AKIDEXAMPLE, 2015-08-30, service `service`)
/// and the S3 examples of "Signature Calculations for the Authorization Header" (2013-05-24).
@Suite("SigV4 against AWS's published examples")
struct SigV4Tests {
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
    static let suiteSigner = SigV4Signer(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let s3Signer = SigV4Signer(
        credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")

    static func suiteRequest(_ method: String, path: String = "/", query: [(name: String, value: String)] = [],
                             extraHeaders: [(name: String, value: String)] = [], body: String = "") -> SigV4Signer.Request {
        SigV4Signer.Request(
            method: method, path: path, query: query,
            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")] + extraHeaders,
            payloadHash: SigV4Signer.hex(sha256Bytes(body)))
    }

    @Test("timestamps and the derived signing key")
    func keyAndTimestamp() {
        #expect(SigV4Signer.timestamp(Self.suiteDate) == "20150830T123600Z")
        let key = Self.suiteSigner.signingKey(day: "20150830").withUnsafeBytes { Array($0) }
        #expect(SigV4Signer.hex(key) == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
    }

    @Test("get-vanilla: canonical request, string to sign, authorization")
    func getVanilla() {
        let request = Self.suiteRequest("GET")
        #expect(Self.suiteSigner.canonicalRequest(request).text == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(Self.suiteSigner.stringToSign(request, at: Self.suiteDate) == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        #expect(Self.suiteSigner.authorization(for: request, at: Self.suiteDate)
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
            + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test("the rest of the suite's cases", arguments: [
        ("get-vanilla-query-order-key-case", suiteRequest("GET", query: [("Param2", "value2"), ("Param1", "value1")]),
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        ("post-vanilla", suiteRequest("POST"), "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        ("get-utf8", suiteRequest("GET", path: "/ሴ"), "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        ("post-x-www-form-urlencoded",
         suiteRequest("POST", extraHeaders: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1"),
         "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ])
    func suite(name: String, request: SigV4Signer.Request, signature: String) {
        #expect(Self.suiteSigner.signature(for: request, at: Self.suiteDate) == signature, "\(name)")
    }

    @Test("S3's examples: GET with Range, PUT with a body and a `$` in the key, ?lifecycle, ?max-keys&prefix")
    func s3Examples() {
        let empty = SigV4Signer.emptyPayloadHash
        func request(_ method: String, _ path: String, query: [(name: String, value: String)] = [],
                     headers: [(name: String, value: String)] = [], payloadHash: String = empty) -> SigV4Signer.Request {
            SigV4Signer.Request(
                method: method, path: path, query: query,
                headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", payloadHash)]
                    + headers,
                payloadHash: payloadHash)
        }
        let putHash = SigV4Signer.hex(sha256Bytes("Welcome to Amazon S3."))
        let cases: [(SigV4Signer.Request, String)] = [
            (request("GET", "/test.txt", headers: [("Range", "bytes=0-9")]), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
            (request("PUT", "/test$file.text", headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                     payloadHash: putHash), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
            (request("GET", "/", query: [("lifecycle", "")]), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
            (request("GET", "/", query: [("max-keys", "2"), ("prefix", "J")]), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
        ]
        for (request, signature) in cases {
            #expect(Self.s3Signer.signature(for: request, at: Self.s3Date) == signature, "\(request.method) \(request.path)")
        }
    }

    @Test("paths are encoded once, keeping slashes and unreserved characters")
    func encoding() {
        #expect(SigV4Signer.encode("/space/dibkit-staging/a b/x~y_z.raw.gz", keepingSlashes: true) == "/space/dibkit-staging/a%20b/x~y_z.raw.gz")
        #expect(SigV4Signer.encode("a/b+c", keepingSlashes: false) == "a%2Fb%2Bc")
        #expect(SigV4Signer.canonicalQuery([("uploadId", "x/y="), ("partNumber", "2")]) == "partNumber=2&uploadId=x%2Fy%3D")
    }

    @Test("credentials never show in descriptions")
    func credentialsDescription() {
        let credentials = SigV4Signer.Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "sekrit-value")
        #expect(!"\(credentials)".contains("sekrit-value"))
        #expect(!String(reflecting: credentials).contains("AKIDEXAMPLE"))
    }
}

/// SHA-256 of a string's UTF-8 bytes.
func sha256Bytes(_ text: String) -> [UInt8] {
    Array(SHA256.hash(data: Data(text.utf8)))
}
