import Generated
import RPCCore
import XCTest

/// The descriptors embedded for server reflection, and their indexes.
final class EmbeddedDescriptorTests: XCTestCase {
    private let set = EmbeddedDescriptors.all

    func testEveryCompiledFileAndItsImportsAreEmbedded() {
        let names = Set(set.files.map(\.name))
        for name in [
            "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto",
            "grpc/testing/empty.proto", "grpc/testing/messages.proto", "grpc/testing/test.proto",
            "medexpress/v1/options.proto", "medexpress/testing/v1/codegen_test.proto",
            "google/protobuf/descriptor.proto", "google/protobuf/timestamp.proto", "google/protobuf/duration.proto",
            "google/protobuf/empty.proto", "google/protobuf/wrappers.proto",
        ] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains("google/protobuf/compiler/plugin.proto"))
        XCTAssertEqual(set.file(named: "grpc/testing/test.proto")?.dependencies,
                       ["grpc/testing/empty.proto", "grpc/testing/messages.proto"])
    }

    func testSymbolIndexCoversTypesServicesMethodsAndExtensions() {
        let expected = [
            "grpc.testing.TestService": "grpc/testing/test.proto",
            "grpc.testing.TestService.FullDuplexCall": "grpc/testing/test.proto",
            "grpc.testing.SimpleRequest": "grpc/testing/messages.proto",
            "grpc.testing.PayloadType": "grpc/testing/messages.proto",
            "grpc.health.v1.HealthCheckResponse.ServingStatus": "grpc/health/v1/health.proto",
            "grpc.reflection.v1alpha.ServerReflection": "grpc/reflection/v1alpha/reflection.proto",
            "medexpress.testing.v1.Prescription.Item.Dose": "medexpress/testing/v1/codegen_test.proto",
            "medexpress.testing.v1.Prescription.Item.Form": "medexpress/testing/v1/codegen_test.proto",
            "medexpress.testing.v1.Prescription.LabelsEntry": "medexpress/testing/v1/codegen_test.proto",
            "medexpress.v1.auth": "medexpress/v1/options.proto",
            "google.protobuf.MethodOptions": "google/protobuf/descriptor.proto",
            "google.protobuf.Timestamp": "google/protobuf/timestamp.proto",
        ]
        for (symbol, file) in expected {
            XCTAssertEqual(set.symbols[symbol], file, symbol)
        }
        XCTAssertEqual(set.file(containingSymbol: ".grpc.testing.TestService")?.name, "grpc/testing/test.proto")
        XCTAssertNil(set.file(containingSymbol: "grpc.testing.NoSuchThing"))
    }

    func testExtensionsAreIndexedByExtendedTypeAndNumber() {
        XCTAssertEqual(set.extensionNumbers(of: "google.protobuf.MethodOptions"), [50001])
        XCTAssertEqual(set.extensionNumbers(of: "grpc.testing.SimpleRequest"), [])
        XCTAssertNil(set.extensionNumbers(of: "no.such.Type"))
        XCTAssertEqual(set.file(containingExtension: 50001, of: "google.protobuf.MethodOptions")?.name, "medexpress/v1/options.proto")
        XCTAssertNil(set.file(containingExtension: 50002, of: "google.protobuf.MethodOptions"))
    }

    func testFileWithDependenciesListsEachTransitiveImportOnceAfterTheFile() {
        let names = set.fileWithDependencies("medexpress/testing/v1/codegen_test.proto").map(\.name)
        XCTAssertEqual(names.first, "medexpress/testing/v1/codegen_test.proto")
        XCTAssertEqual(Set(names), [
            "medexpress/testing/v1/codegen_test.proto", "google/protobuf/duration.proto", "google/protobuf/empty.proto",
            "google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto", "medexpress/v1/options.proto",
            "google/protobuf/descriptor.proto", "medexpress/v1/common.proto",
        ])
        XCTAssertEqual(names.count, Set(names).count)
    }

    func testSerializedDescriptorsAreFileDescriptorProtosWithoutSourceInfo() throws {
        let file = try XCTUnwrap(set.file(named: "medexpress/testing/v1/codegen_test.proto"))
        let text = try Protoc.decode(file.serializedProto, as: "google.protobuf.FileDescriptorProto",
                                     in: "google/protobuf/descriptor.proto")
        XCTAssertTrue(text.contains("name: \"medexpress/testing/v1/codegen_test.proto\""), text)
        XCTAssertTrue(text.contains("name: \"CodegenTestService\""), text)
        XCTAssertFalse(text.contains("source_code_info"), "source info is stripped")
        // The custom option survives re-packing as field 50001 of MethodOptions.
        XCTAssertTrue(text.contains("50001"), text)
        XCTAssertTrue(text.contains("idempotency_level: NO_SIDE_EFFECTS"), text)
    }
}
