import Domain
import XCTest

/// The canonical encoding as an external verifier rebuilds it from the documented layout.
private struct VerifierEncoding {
    var bytes: [UInt8] = []

    mutating func text(_ text: String) {
        integer(UInt32(text.utf8.count))
        bytes += Array(text.utf8)
    }

    mutating func integer<Integer: FixedWidthInteger>(_ value: Integer) {
        bytes += withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    mutating func date(_ year: Int32, _ month: UInt8, _ day: UInt8) {
        integer(year)
        integer(month)
        integer(day)
    }

    mutating func address(_ lines: [String], _ town: String, _ postcode: String) {
        integer(UInt32(lines.count))
        lines.forEach { text($0) }
        text(town)
        text(postcode)
    }
}

/// The bytes a prescriber signs: fixed, complete and unambiguous.
final class PrescriptionEncodingTests: XCTestCase {
    func testTheEncodingFollowsTheDocumentedLayoutByteForByte() throws {
        let particulars = PrescriptionParticulars()
        var expected = VerifierEncoding()
        expected.text("medexpress-prescription/1")
        expected.text("rx_0h2m5kq8x3v7n9b4c6d1f0g2hj")
        expected.text("ord_5t8w2x9y4z6a1b3c7d0e2f4g6h")
        expected.integer(particulars.issuedAt.microsecondsSinceEpoch)
        expected.date(2026, 6, 10)
        expected.date(2026, 12, 9)
        expected.text("Dr Amelia Hart")
        expected.address(["MedExpress Clinical Services", "4 Albion Place"], "Leeds", "LS1 6JL")
        expected.text("doctor")
        expected.text("GMC")
        expected.text("7012345")
        expected.text("Thomas Reid")
        expected.address(["Flat 2", "17 Victoria Road"], "Bristol", "BS6 5QE")
        expected.date(1984, 6, 2)
        expected.text("Sildenafil")
        expected.text("50 mg")
        expected.text("tablet")
        expected.integer(UInt32(8))
        expected.text("8 tablets")
        expected.text("One tablet one hour before sexual activity. No more than one tablet in 24 hours.")
        expected.text("Ed25519")
        XCTAssertEqual(try particulars.prescription().canonicalEncoding, expected.bytes)
    }

    func testTheEncodingStartsWithItsVersionInPlainBytes() throws {
        let encoding = try PrescriptionParticulars().prescription().canonicalEncoding
        XCTAssertEqual(Array(encoding.prefix(4)), [0, 0, 0, 25])
        XCTAssertEqual(String(decoding: encoding[4 ..< 29], as: UTF8.self), "medexpress-prescription/1")
        // 1 781 100 300 000 000 µs: 2026-06-10T14:05:00Z, signed 64-bit big-endian, after the id and order id.
        let issuedAtOffset = 29 + 4 + 29 + 4 + 30
        XCTAssertEqual(Array(encoding[issuedAtOffset ..< issuedAtOffset + 8]), [0x00, 0x06, 0x53, 0xE6, 0xBA, 0xB0, 0xDB, 0x00])
        XCTAssertEqual(Array(encoding[issuedAtOffset + 8 ..< issuedAtOffset + 14]), [0x00, 0x00, 0x07, 0xEA, 6, 10])
    }

    func testTheSamePrescriptionAlwaysEncodesTheSame() throws {
        XCTAssertEqual(try PrescriptionParticulars().prescription().canonicalEncoding,
                       try PrescriptionParticulars().prescription().canonicalEncoding)
    }

    func testChangingAnyParticularChangesTheBytes() throws {
        let changes: [(String, (inout PrescriptionParticulars) -> Void)] = [
            ("id", { $0.id = "rx_0h2m5kq8x3v7n9b4c6d1f0g2hk" }),
            ("order id", { $0.orderID = "ord_5t8w2x9y4z6a1b3c7d0e2f4g6j" }),
            ("issued at, same day", { $0.issuedAt.microsecondsSinceEpoch += 1 }),
            ("issued at, next day", { $0.issuedAt = $0.issuedAt.adding(days: 1) }),
            ("prescriber name", { $0.prescriberName = "Dr Amelia Harte" }),
            ("prescriber address line", { $0.prescriberAddress = .init(lines: ["MedExpress Clinical Services", "5 Albion Place"], town: "Leeds", postcode: "LS1 6JL") }),
            ("prescriber address lines", { $0.prescriberAddress = .init(lines: ["4 Albion Place"], town: "Leeds", postcode: "LS1 6JL") }),
            ("prescriber town", { $0.prescriberAddress = .init(lines: ["MedExpress Clinical Services", "4 Albion Place"], town: "Bradford", postcode: "LS1 6JL") }),
            ("prescriber postcode", { $0.prescriberAddress = .init(lines: ["MedExpress Clinical Services", "4 Albion Place"], town: "Leeds", postcode: "LS1 6JN") }),
            ("profession", { $0.profession = .pharmacistIndependentPrescriber }),
            ("registration number", { $0.registrationNumber = "7012346" }),
            ("patient name", { $0.patientName = "Tomas Reid" }),
            ("patient address line", { $0.patientAddress = .init(lines: ["Flat 3", "17 Victoria Road"], town: "Bristol", postcode: "BS6 5QE") }),
            ("patient town", { $0.patientAddress = .init(lines: ["Flat 2", "17 Victoria Road"], town: "Bath", postcode: "BS6 5QE") }),
            ("patient postcode", { $0.patientAddress = .init(lines: ["Flat 2", "17 Victoria Road"], town: "Bristol", postcode: "BS6 5QF") }),
            ("date of birth", { $0.dateOfBirth = CalendarDay(year: 1984, month: 6, day: 3) }),
            ("medicine name", { $0.medicineName = "Tadalafil" }),
            ("strength", { $0.strength = "100 mg" }),
            ("form", { $0.form = "orodispersible tablet" }),
            ("quantity", { $0.quantityInUnits = 9 }),
            ("pack description", { $0.packDescription = "2 packs of 4 tablets" }),
            ("directions", { $0.directions = "One tablet one hour before sexual activity." }),
            ("a letter's case", { $0.patientName = "Thomas reid" }),
            ("trailing white space", { $0.directions += " " }),
        ]
        let original = try PrescriptionParticulars().prescription().canonicalEncoding
        var seen: [[UInt8]: String] = [original: "original"]
        for (particular, change) in changes {
            var particulars = PrescriptionParticulars()
            change(&particulars)
            let encoding = try particulars.prescription().canonicalEncoding
            if let earlier = seen[encoding] {
                XCTFail("changing the \(particular) encodes the same as \(earlier)")
            }
            seen[encoding] = particular
        }
        XCTAssertEqual(seen.count, changes.count + 1)
    }

    func testTextMovedAcrossABoundaryEncodesDifferently() throws {
        func encoding(_ change: (inout PrescriptionParticulars) -> Void) throws -> [UInt8] {
            var particulars = PrescriptionParticulars()
            change(&particulars)
            return try particulars.prescription().canonicalEncoding
        }
        // Same characters in the same order, only the boundary between two particulars moved:
        // the same length, so only the length prefixes tell them apart.
        let moved: [(String, [UInt8], [UInt8])] = try [
            ("strength | form",
             encoding { $0.strength = "ab"; $0.form = "c" }, encoding { $0.strength = "a"; $0.form = "bc" }),
            ("name | strength",
             encoding { $0.medicineName = "Sildenafil 50"; $0.strength = " mg" },
             encoding { $0.medicineName = "Sildenafil"; $0.strength = " 50 mg" }),
            ("address line | address line",
             encoding { $0.patientAddress = .init(lines: ["ab", "c"], town: "Bristol", postcode: "BS6 5QE") },
             encoding { $0.patientAddress = .init(lines: ["a", "bc"], town: "Bristol", postcode: "BS6 5QE") }),
            ("last line | town",
             encoding { $0.patientAddress = .init(lines: ["Flat 2", "17 Victoria Road Clifton"], town: "Bristol", postcode: "BS6 5QE") },
             encoding { $0.patientAddress = .init(lines: ["Flat 2", "17 Victoria Road"], town: "Clifton Bristol", postcode: "BS6 5QE") }),
            ("id | order id",
             encoding { $0.id = "rx_ab"; $0.orderID = "c" }, encoding { $0.id = "rx_a"; $0.orderID = "bc" }),
            ("pack description | directions",
             encoding { $0.packDescription = "8 tablets"; $0.directions = " One daily" },
             encoding { $0.packDescription = "8 tablets One"; $0.directions = " daily" }),
        ]
        for (boundary, first, second) in moved {
            XCTAssertNotEqual(first, second, boundary)
            XCTAssertEqual(first.count, second.count, boundary)
        }
        // The same text as one street line or two: the line count tells them apart.
        XCTAssertNotEqual(
            try encoding { $0.patientAddress = .init(lines: ["Flat 2", "17 Victoria Road"], town: "Bristol", postcode: "BS6 5QE") },
            try encoding { $0.patientAddress = .init(lines: ["Flat 217 Victoria Road"], town: "Bristol", postcode: "BS6 5QE") })
    }

    func testTextIsEncodedAsGivenWithoutNormalisation() throws {
        var composed = PrescriptionParticulars()
        composed.patientName = "Zoé Martin" // U+00E9
        var decomposed = PrescriptionParticulars()
        decomposed.patientName = "Zoe\u{301} Martin" // e + U+0301
        XCTAssertNotEqual(try composed.prescription().canonicalEncoding, try decomposed.prescription().canonicalEncoding)
        let encoding = try composed.prescription().canonicalEncoding
        XCTAssertNotNil(encoding.firstRange(of: [0, 0, 0, 11] + Array("Zoé Martin".utf8)))
    }
}
