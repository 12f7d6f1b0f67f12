@testable import Gateways
import XCTest

/// The response framing rules of RFC 9112 the client relies on, fed from memory.
final class HTTPResponseReaderTests: XCTestCase {
    /// Hands out its bytes a few at a time, as a slow network would.
    private final class Bytes: HTTPByteSource {
        private var bytes: [UInt8]
        private let step: Int
        init(_ text: String, step: Int = 7) {
            bytes = Array(text.utf8)
            self.step = step
        }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
            let count = min(step, buffer.count, bytes.count)
            buffer.copyBytes(from: bytes.prefix(count))
            bytes.removeFirst(count)
            return count
        }
    }

    private func read(_ text: String, maxHeaderBytes: Int = 1024, maxBodyBytes: Int = 1024) throws(HTTPClientError) -> HTTPResponse {
        var reader = HTTPResponseReader(source: Bytes(text), maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
        return try reader.readResponse()
    }

    private func failure(_ text: String, maxHeaderBytes: Int = 1024, maxBodyBytes: Int = 1024) -> HTTPClientError? {
        do {
            _ = try read(text, maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
            return nil
        } catch {
            return error
        }
    }

    func testContentLengthBody() throws {
        let response = try read("HTTP/1.1 402 Payment Required\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello")
        XCTAssertEqual(response.statusCode, 402)
        XCTAssertEqual(response.reasonPhrase, "Payment Required")
        XCTAssertEqual(response.headerValue("content-type"), "application/json")
        XCTAssertEqual(response.bodyText, "hello")
    }

    func testChunkedBodyWithExtensionsAndTrailers() throws {
        let response = try read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: 1\r\n\r\n")
        XCTAssertEqual(response.bodyText, "hello, world")
    }

    func testBodyUntilClose() throws {
        XCTAssertEqual(try read("HTTP/1.0 200 OK\r\n\r\nall of it").bodyText, "all of it")
    }

    func testInterimResponsesAreSkipped() throws {
        let response = try read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        XCTAssertEqual(response.statusCode, 200)
    }

    func testLimitsAreEnforced() {
        guard case .responseTooLarge? = failure("HTTP/1.1 200 OK\r\nX: \(String(repeating: "a", count: 200))\r\n\r\n", maxHeaderBytes: 100) else {
            return XCTFail("a long header block must be refused")
        }
        guard case .responseTooLarge? = failure("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", maxBodyBytes: 10) else {
            return XCTFail("a long body must be refused")
        }
        guard case .responseTooLarge? = failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n", maxBodyBytes: 10) else {
            return XCTFail("a long chunked body must be refused")
        }
    }

    func testTruncationAndGarbageAreErrors() {
        guard case .connectionFailed? = failure("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello") else {
            return XCTFail("a short body is a failed connection")
        }
        guard case .connectionFailed? = failure("") else { return XCTFail("no response at all") }
        guard case .malformedResponse? = failure("SMTP ready\r\n\r\n") else { return XCTFail("not HTTP") }
        guard case .malformedResponse? = failure("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n") else {
            return XCTFail("a bad Content-Length")
        }
    }

    func testURLs() throws {
        let url = try HTTPURL(parsing: "https://api.stripe.com/v1/refunds?x=1")
        XCTAssertEqual(url.host, "api.stripe.com")
        XCTAssertEqual(url.port, 443)
        XCTAssertEqual(url.target, "/v1/refunds?x=1")
        XCTAssertEqual(url.hostHeader, "api.stripe.com")
        let local = try HTTPURL(parsing: "http://[::1]:8080")
        XCTAssertEqual(local.host, "::1")
        XCTAssertEqual(local.target, "/")
        XCTAssertEqual(local.hostHeader, "[::1]:8080")
        XCTAssertThrowsError(try HTTPURL(parsing: "ftp://example.com"))
        XCTAssertThrowsError(try HTTPURL(parsing: "https://user@example.com/"))
    }

    func testHeaderInjectionIsRefused() throws {
        let url = try HTTPURL(parsing: "https://api.stripe.com/v1")
        let request = HTTPRequest(method: "POST", url: url, headers: [HTTPHeader(name: "Idempotency-Key", value: "a\r\nX: y")])
        XCTAssertThrowsError(try HTTPClient.serialize(request, userAgent: "t"))
    }
}
