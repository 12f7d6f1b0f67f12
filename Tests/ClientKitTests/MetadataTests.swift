import ClientKit
import XCTest

/// Metadata travels both ways: request headers to the handler, response headers and trailers back.
final class MetadataTests: XCTestCase {
    func testTextAndBinaryMetadataReachTheServerAndComeBack() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        var metadata = Metadata()
        metadata.add("x-echo-initial", "test_initial_metadata_value")
        metadata.add("x-echo-trailing-bin", binary: [0xAB, 0xAB, 0xAB])
        metadata.add("x-pharmacy", "Leeds")
        let response = try await channel.unary(ProbeService.Method.echo, Blob("rx"), metadata: metadata)
        XCTAssertEqual(response.initialMetadata["x-echo-initial"], "test_initial_metadata_value")
        XCTAssertEqual(response.trailingMetadata.binary("x-echo-trailing-bin"), [0xAB, 0xAB, 0xAB])
        let seen = server.probe.values("echo.metadata")
        XCTAssertTrue(seen.contains("x-pharmacy=Leeds"), "\(seen)")
        XCTAssertTrue(seen.contains("user-agent=medexpress-clientkit/0.1"), "\(seen)")
        await channel.close()
        await server.stop()
    }

    func testMetadataThatHTTP2CannotCarryIsRefusedBeforeSending() async throws {
        let server = try await TestServer.start()
        let channel = try server.channel()
        let status = await failureStatus {
            try await channel.unary(ProbeService.Method.echo, Blob(), metadata: ["x-note": "line\nbreak"])
        }
        XCTAssertEqual(status?.code, .internalError)
        XCTAssertEqual(server.probe.count("echo"), 0)
        await channel.close()
        await server.stop()
    }
}
