import Generated
import RPCCore
import XCTest

/// Our libprotobuf-c coding agrees with protoc's own encoder and decoder.
final class ProtocInteropTests: XCTestCase {
    private let proto = "medexpress/testing/v1/codegen_test.proto"
    private let type = "medexpress.testing.v1.Prescription"

    func testDecodesWhatProtocEncodes() throws {
        let bytes = try Protoc.encode(Fixtures.prescriptionText, as: type, in: proto)
        let decoded = try Prescription(decoding: bytes)
        XCTAssertEqual(decoded.scalars, Fixtures.scalars)
        XCTAssertEqual(decoded.repeated, Fixtures.repeated)
        XCTAssertEqual(decoded, Fixtures.prescription)
    }

    func testProtocDecodesWhatWeEncode() throws {
        let ours = try Protoc.decode(Fixtures.prescription.encoded(), as: type, in: proto)
        let reference = try Protoc.decode(try Protoc.encode(Fixtures.prescriptionText, as: type, in: proto), as: type, in: proto)
        XCTAssertEqual(ours, reference)
        XCTAssertTrue(ours.contains("locker_code: \"L-42\""), ours)
        XCTAssertTrue(ours.contains("public: true"), ours)
    }

    func testProtocDecodesUnknownEnumValuesWeKeep() throws {
        let text = try Protoc.decode(Prescription.with { $0.color = .unrecognized(99) }.encoded(), as: type, in: proto)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "color: 99")
    }

    func testInteropRequestsAgreeWithProtoc() throws {
        let text = """
            response_size: 314159
            payload { body: "\\000\\000\\000" }
            response_compressed { value: true }
            response_status { code: 2 message: "test status message" }
            expect_compressed { value: true }
            """
        let bytes = try Protoc.encode(text, as: "grpc.testing.SimpleRequest", in: "grpc/testing/messages.proto")
        let request = try Grpc_Testing_SimpleRequest(decoding: bytes)
        XCTAssertEqual(request, Grpc_Testing_SimpleRequest.with {
            $0.responseSize = 314_159
            $0.payload = .with { $0.body = [0, 0, 0] }
            $0.responseCompressed = .with { $0.value = true }
            $0.responseStatus = .with { $0.code = 2; $0.message = "test status message" }
            $0.expectCompressed = .with { $0.value = true }
        })
        XCTAssertEqual(request.encoded(), bytes, "field order and encodings match protoc's byte for byte")
    }
}
