import Generated
import RPCCore
import XCTest

/// Encoding a message and decoding the bytes gives back an equal value, for every field kind.
final class MessageRoundTripTests: XCTestCase {
    private func roundTrip<Message: ProtoMessage>(_ message: Message, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = message.encoded()
        let decoded = try Message(decoding: bytes)
        XCTAssertEqual(decoded, message, file: file, line: line)
        XCTAssertEqual(decoded.encoded(), bytes, "re-encoding is stable", file: file, line: line)
    }

    func testEveryScalarTypeRoundTrips() throws {
        try roundTrip(Fixtures.scalars)
        try roundTrip(Medexpress_Testing_V1_Scalars.with {
            $0.fDouble = .infinity
            $0.fFloat = -.greatestFiniteMagnitude
            $0.fInt64 = Int64.max
            $0.fSint32 = Int32.min
            $0.fSint64 = Int64.min
        })
    }

    func testDefaultMessageEncodesToZeroBytes() throws {
        XCTAssertEqual(Prescription().encoded(), [])
        XCTAssertEqual(Grpc_Testing_Empty().encoded(), [])
        XCTAssertEqual(try Prescription(decoding: [UInt8]()), Prescription())
    }

    func testEveryRepeatedKindRoundTrips() throws {
        try roundTrip(Fixtures.repeated)
    }

    func testNestedAndRecursiveMessagesRoundTrip() throws {
        var prescription = Prescription()
        prescription.primary = Fixtures.item(name: "Amoxicillin", form: .capsule, quantity: 21)
        prescription.primary?.doses = [.with { $0.milligrams = 250; $0.interval = .with { $0.seconds = 3600; $0.nanos = 5 } }]
        prescription.replaces = .with { $0.replaces = .with { $0.replaces = .with { $0.id = "three deep" } } }
        prescription.history = [Fixtures.prescription]
        try roundTrip(prescription)
        XCTAssertEqual(try Prescription(decoding: prescription.encoded()).replaces?.replaces?.replaces?.id, "three deep")
    }

    func testEveryOneofMemberRoundTripsAndKeepsPresence() throws {
        let members: [Prescription.OneOf_Delivery] = [
            .address(.with { $0.lines = ["1 High St", ""]; $0.postcode = "AB1 2CD" }),
            .address(Prescription.Address()),
            .lockerCode("L-1"),
            .lockerCode(""),
            .pickupSlot(0),
            .pickupSlot(-42),
            .sampleForm(.unspecified),
            .sampleForm(.unrecognized(40)),
            .courierToken([]),
            .courierToken([9, 8, 7]),
        ]
        for member in members {
            var prescription = Prescription()
            prescription.delivery = member
            let decoded = try Prescription(decoding: prescription.encoded())
            XCTAssertEqual(decoded.delivery, member, "a set member stays set, even at its default")
        }
        XCTAssertNil(try Prescription(decoding: Prescription().encoded()).delivery)
    }

    func testOneofAccessorsSelectTheirMember() {
        var prescription = Prescription()
        XCTAssertEqual(prescription.lockerCode, "")
        prescription.lockerCode = "L-9"
        XCTAssertEqual(prescription.delivery, .lockerCode("L-9"))
        prescription.pickupSlot = 4
        XCTAssertEqual(prescription.delivery, .pickupSlot(4))
        XCTAssertEqual(prescription.lockerCode, "", "another member is set")
    }

    func testMapsRoundTrip() throws {
        try roundTrip(Prescription.with {
            $0.labels = ["a": "1", "": "empty key", "ü": ""]
            $0.itemsByCode = ["x": Fixtures.item(name: "x", form: .liquid, quantity: 3), "default": Prescription.Item()]
            $0.colorsBySlot = [Int32.min: .infrared, 0: .red, Int32.max: .unrecognized(1234)]
            $0.countsByFlag = [false: Int64.min, true: Int64.max]
        })
    }

    func testEqualMapsEncodeToEqualBytes() {
        var forwards = Prescription()
        var backwards = Prescription()
        let keys = (0..<50).map { "key-\($0)" }
        for key in keys { forwards.labels[key] = key }
        for key in keys.reversed() { backwards.labels[key] = key }
        XCTAssertEqual(forwards.encoded(), backwards.encoded())
    }

    func testTheWholeFixtureRoundTrips() throws {
        try roundTrip(Fixtures.prescription)
    }

    func testUnknownEnumValuesAreKept() throws {
        // Field 15 (color), varint 99: a value a newer schema might add.
        let bytes: [UInt8] = [0x78, 99]
        let decoded = try Prescription(decoding: bytes)
        XCTAssertEqual(decoded.color, .unrecognized(99))
        XCTAssertEqual(decoded.color.rawValue, 99)
        XCTAssertEqual(decoded.encoded(), bytes)

        let repeated = try Medexpress_Testing_V1_Repeated(decoding: Medexpress_Testing_V1_Repeated.with {
            $0.rColor = [.unrecognized(-7), .red, .unrecognized(1_000_000)]
        }.encoded())
        XCTAssertEqual(repeated.rColor, [.unrecognized(-7), .red, .unrecognized(1_000_000)])
    }

    func testEnumsMapRawValuesBothWays() {
        XCTAssertEqual(Medexpress_Testing_V1_Color(rawValue: -1), .infrared)
        XCTAssertEqual(Medexpress_Testing_V1_Color.infrared.rawValue, -1)
        XCTAssertEqual(Medexpress_Testing_V1_Color(rawValue: 3), .unrecognized(3))
        XCTAssertEqual(Medexpress_Testing_V1_Color.allCases, [.unspecified, .red, .green, .infrared])
        XCTAssertEqual(Medexpress_Testing_V1_Color(), .unspecified)
        XCTAssertEqual(Medexpress_V1_Role.allCases.map(\.rawValue), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Grpc_Health_V1_HealthCheckResponse.ServingStatus.serviceUnknown.rawValue, 3)
    }

    func testKeywordNamedFieldsRoundTrip() throws {
        let decoded = try Prescription(decoding: Fixtures.prescription.encoded())
        XCTAssertEqual(decoded.`default`, "default")
        XCTAssertEqual(decoded.`class`, 7)
        XCTAssertEqual(decoded.`public`, true)
        XCTAssertEqual(decoded.`protocol`, "https")
        XCTAssertEqual(try Medexpress_V1_AuthRule(decoding: Medexpress_V1_AuthRule.with { $0.`public` = true }.encoded()).`public`, true)
    }

    func testInteropMessagesRoundTrip() throws {
        try roundTrip(Grpc_Testing_SimpleRequest.with {
            $0.responseSize = 314_159
            $0.payload = .with { $0.body = [UInt8](repeating: 0, count: 271_828) }
            $0.responseCompressed = .with { $0.value = true }
            $0.responseStatus = .with { $0.code = 2; $0.message = "test status message" }
            $0.expectCompressed = .with { $0.value = false }
            $0.fillUsername = true
        })
        try roundTrip(Grpc_Testing_StreamingOutputCallRequest.with {
            $0.responseParameters = [.with { $0.size = 31_415; $0.intervalUs = 10 }, .with { $0.size = 9; $0.compressed = .with { $0.value = true } }]
        })
        try roundTrip(Grpc_Reflection_V1_ServerReflectionResponse.with {
            $0.validHost = "localhost"
            $0.originalRequest = .with { $0.fileContainingSymbol = "grpc.testing.TestService" }
            $0.fileDescriptorResponse = .with { $0.fileDescriptorProto = [[1, 2], []] }
        })
    }
}
