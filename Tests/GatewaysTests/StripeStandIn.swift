import Domain
import Foundation
import Gateways
import Glibc
import RPCCore
import XCTest

/// A throw-away CA with a server certificate for `localhost` and `127.0.0.1`, in a temporary directory.
final class StandInPKI {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    var certificateFile: String { directory + "/server.pem" }
    var keyFile: String { directory + "/server.key" }

    init(caName: String = "Stripe Stand-in Test CA") throws {
        var template = Array((NSTemporaryDirectory() + "/medexpress-gateways-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw POSIXError(.EIO) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let authority = try CertificateAuthority.create(commonName: caName, validityDays: 2)
        let server = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
                                         usage: .server, validityDays: 2)
        try CertificateAuthority.writePEM(authority.certificatePEM, to: caFile, mode: 0o644)
        try CertificateAuthority.writePEM(server.certificatePEM, to: certificateFile, mode: 0o644)
        try CertificateAuthority.writePEM(server.privateKeyPEM, to: keyFile, mode: 0o600)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// What the stand-in recorded of one request.
struct RecordedRequest {
    let path: String
    let idempotencyKey: String?
    let params: [String: [String]]
    /// The HTTP status sent, or nil when the connection was dropped on purpose.
    let status: Int?
    let replayed: Bool
    /// Whether the request did work (was not replayed, refused, or failed by an injected fault).
    let processed: Bool
    let violations: [String]
}

/// `Tests/standins/stripe_standin.py` running on an ephemeral port over TLS, for one test.
final class StripeStandIn {
    static let secretKey = "sk_test_standin_4eC39HqLyjWDarjtT1zdp7dc"

    let pki: StandInPKI
    let port: Int
    private let process: Process
    private let stdin: Pipe
    private let control: HTTPClient

    init(chunked: Bool = false) throws {
        pki = try StandInPKI()
        // Found upwards from this file, which the product tests also compile (a link to it).
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("standins/stripe_standin.py").path),
              folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        let script = folder.appendingPathComponent("standins/stripe_standin.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--cert", pki.certificateFile, "--key", pki.keyFile,
                             "--secret-key", Self.secretKey] + (chunked ? ["--chunked"] : [])
        let stdout = Pipe()
        stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = try stdout.fileHandleForReading.read(upToCount: 1) ?? Data()
            guard let first = byte.first else { break }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw POSIXError(.EIO)
        }
        self.port = port
        control = try HTTPClient(configuration: HTTPClientConfiguration(trustRootsFile: pki.caFile))
    }

    deinit {
        // Closing its stdin ends the stand-in; SIGTERM is the second line.
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// A gateway trusting the stand-in's CA, with quick retries.
    func gateway(secretKey: String = StripeStandIn.secretKey, baseURL: String? = nil, maxRetries: Int = 2) throws -> StripePaymentGateway {
        try StripePaymentGateway(configuration: StripeConfiguration(
            secretKey: secretKey, baseURL: baseURL ?? self.baseURL, trustRootsFile: pki.caFile,
            maxRetries: maxRetries, retryBackoffMilliseconds: 20,
            http: HTTPClientConfiguration(connectTimeoutMilliseconds: 2_000, readTimeoutMilliseconds: 5_000,
                                          requestTimeoutMilliseconds: 10_000)))
    }

    /// Every request the stand-in has seen, in order.
    func requests() async throws -> [RecordedRequest] {
        let response = try await control.send(HTTPRequest(method: "GET", url: HTTPURL(parsing: baseURL + "/__standin/requests")))
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])
        return list.map { entry in
            RecordedRequest(path: entry["path"] as? String ?? "",
                            idempotencyKey: entry["idempotency_key"] as? String,
                            params: entry["params"] as? [String: [String]] ?? [:],
                            status: entry["status"] as? Int,
                            replayed: entry["replayed"] as? Bool ?? false,
                            processed: entry["processed"] as? Bool ?? false,
                            violations: entry["violations"] as? [String] ?? [])
        }
    }

    /// Makes the next `count` requests to `path` fail: `drop` processes them and closes the
    /// connection without answering; `status` answers with `status` without processing.
    func injectFault(path: String, action: String, status: Int = 503, count: Int = 1) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["path": path, "action": action, "status": status, "count": count])
        let response = try await control.send(HTTPRequest(method: "POST", url: HTTPURL(parsing: baseURL + "/__standin/faults"),
                                                          headers: [HTTPHeader(name: "Content-Type", value: "application/json")],
                                                          body: Array(body)))
        XCTAssertEqual(response.statusCode, 200)
    }

    /// Fails the test for every request that broke Stripe's protocol (no Idempotency-Key, …).
    func assertNoViolations(file: StaticString = #filePath, line: UInt = #line) async throws {
        for request in try await requests() where !request.violations.isEmpty {
            XCTFail("\(request.path): \(request.violations.joined(separator: "; "))", file: file, line: line)
        }
    }
}

/// The `PaymentError` `body` threw, or nil (and a test failure) when it threw none.
func paymentError(file: StaticString = #filePath, line: UInt = #line,
                  _ body: () async throws -> Void) async -> PaymentError? {
    do {
        try await body()
        XCTFail("expected a PaymentError", file: file, line: line)
        return nil
    } catch let error as PaymentError {
        return error
    } catch {
        XCTFail("expected a PaymentError, not \(error)", file: file, line: line)
        return nil
    }
}

/// The message of an `.unavailable` error, or nil.
func unavailableMessage(_ error: PaymentError?) -> String? {
    if case .unavailable(let message)? = error { return message }
    return nil
}

/// The message of a `.rejected` error, or nil.
func rejectedMessage(_ error: PaymentError?) -> String? {
    if case .rejected(let message)? = error { return message }
    return nil
}
