import Domain
import Gateways
import XCTest

/// The built-in courier on a laptop: the pharmacist books a parcel and gets a Royal Mail-style
/// tracking number and a printable, discreet label, the same again however often they retry.
final class LocalCourierGatewayTests: XCTestCase {
    private func parcel(_ reference: String, service: String = "CRL1", postcode: String = "M1 1AE",
                        refrigerated: Bool = false, name: String = "Zoë O'Brien (Flat 2)") -> ShipmentRequest {
        ShipmentRequest(reference: reference,
                        recipient: ShipmentRecipient(name: name, addressLines: ["2 Piccadilly Gardens"], town: "Manchester",
                                                     postcode: postcode),
                        serviceCode: service, weightGrams: 300, refrigerated: refrigerated, signatureRequired: service == "SD1")
    }

    func testBookingGivesAValidS10NumberMarkedWithTheService() async throws {
        let gateway = LocalCourierGateway()
        let firstClass = try await gateway.createShipment(parcel("shp_a"))
        let special = try await gateway.createShipment(parcel("shp_b", service: "SD1", refrigerated: true))
        XCTAssertTrue(TrackingNumber.isValid(firstClass.trackingNumber), firstClass.trackingNumber)
        XCTAssertTrue(TrackingNumber.isValid(special.trackingNumber), special.trackingNumber)
        XCTAssertTrue(firstClass.trackingNumber.hasPrefix("ZF"))
        XCTAssertTrue(special.trackingNumber.hasPrefix("ZS"))
        XCTAssertEqual(firstClass.courierShipmentID, "local_\(firstClass.trackingNumber)")
    }

    func testARetryGetsTheSameNumberInThisRunAndAfterARestart() async throws {
        let first = try await LocalCourierGateway().createShipment(parcel("shp_retry"))
        let gateway = LocalCourierGateway()
        let again = try await gateway.createShipment(parcel("shp_retry"))
        let andAgain = try await gateway.createShipment(parcel("shp_retry"))
        XCTAssertEqual(again, first)
        XCTAssertEqual(andAgain, first)
    }

    func testDifferentReferencesGetDifferentNumbers() async throws {
        let gateway = LocalCourierGateway()
        var numbers: Set<String> = []
        for index in 0..<2_000 {
            numbers.insert(try await gateway.createShipment(parcel("shp_\(index)")).trackingNumber)
        }
        XCTAssertEqual(numbers.count, 2_000)
    }

    func testTheLabelIsAOnePagePDFWithTheNumberAndAddressAndNothingElse() async throws {
        let shipment = try await LocalCourierGateway().createShipment(parcel("shp_label"))
        let pdf = shipment.label
        let text = String(decoding: pdf, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("%PDF-1.4\n"))
        XCTAssertTrue(text.hasSuffix("%%EOF\n"))
        XCTAssertTrue(text.contains("(\(shipment.trackingNumber)) Tj"))
        XCTAssertTrue(text.contains("(M1 1AE) Tj"))
        XCTAssertTrue(text.contains("(Zo\\353 O'Brien \\(Flat 2\\)) Tj"), "Latin-1 and parentheses escaped")
        XCTAssertTrue(text.contains("/Count 1"))
        let catalog = try Catalog.embedded()
        for word in catalog.treatments.flatMap({ [$0.name] + $0.medications.map(\.name) }) + ["MedExpress", "harmacy"] {
            XCTAssertNil(text.range(of: word, options: .caseInsensitive), "the label names \(word)")
        }
        try assertCrossReferenceTableIsExact(pdf)
    }

    func testTheCourierRefusesWhatRoyalMailWould() async throws {
        let gateway = LocalCourierGateway()
        for (request, expected) in [(parcel("shp_1", service: "XX9"), "offers CRL1, SD1"),
                                    (parcel("shp_2", postcode: "NOT A CODE"), "not a UK postcode"),
                                    (parcel("shp_3", refrigerated: true), "refrigerated")] {
            let error = await courierError { _ = try await gateway.createShipment(request) }
            XCTAssertTrue(rejectedMessage(error)?.contains(expected) ?? false, "\(String(describing: error))")
        }
        _ = try await gateway.createShipment(parcel("shp_4"))
        let changed = await courierError { _ = try await gateway.createShipment(self.parcel("shp_4", name: "Someone Else")) }
        XCTAssertTrue(rejectedMessage(changed)?.contains("other details") ?? false, "\(String(describing: changed))")
    }

    func testPastItsLimitTheCourierIsUnavailable() async throws {
        let gateway = LocalCourierGateway(maxShipments: 1)
        _ = try await gateway.createShipment(parcel("shp_one"))
        let error = await courierError { _ = try await gateway.createShipment(self.parcel("shp_two")) }
        XCTAssertNotNil(unavailableMessage(error))
    }

    /// ISO 32000-1 §7.5.4–7.5.5: `startxref` points at the table, and every in-use entry at
    /// "N 0 obj" of its object.
    private func assertCrossReferenceTableIsExact(_ pdf: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let text = String(decoding: pdf, as: UTF8.self)
        let tail = try XCTUnwrap(text.range(of: "startxref\n", options: .backwards))
        let xrefOffset = try XCTUnwrap(Int(text[tail.upperBound...].prefix { $0.isNumber }))
        let table = String(decoding: pdf[xrefOffset...], as: UTF8.self)
        XCTAssertTrue(table.hasPrefix("xref\n0 6\n0000000000 65535 f \n"), file: file, line: line)
        let entries = table.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(3).prefix(5)
        for (index, entry) in entries.enumerated() {
            XCTAssertEqual(entry.count, 19, "entry plus its line feed is 20 bytes", file: file, line: line)
            let offset = try XCTUnwrap(Int(entry.prefix(10)))
            XCTAssertTrue(pdf[offset...].starts(with: Array("\(index + 1) 0 obj\n".utf8)), "object \(index + 1)", file: file, line: line)
        }
        let length = try XCTUnwrap(text.range(of: "/Length ")).upperBound
        let declared = try XCTUnwrap(Int(text[length...].prefix { $0.isNumber }))
        let streamStart = try XCTUnwrap(text.range(of: "stream\n")).upperBound
        let streamEnd = try XCTUnwrap(text.range(of: "endstream")).lowerBound
        XCTAssertEqual(text.utf8[streamStart..<streamEnd].count, declared, "/Length matches the stream", file: file, line: line)
    }
}
