import Domain
import XCTest

/// The particulars of a prescription as a prescriber fills them in, each one changeable by a test.
struct PrescriptionParticulars {
    var id = "rx_0h2m5kq8x3v7n9b4c6d1f0g2hj"
    var orderID = "ord_5t8w2x9y4z6a1b3c7d0e2f4g6h"
    /// 14:05 UTC (15:05 BST) on 10 June 2026.
    var issuedAt = Instant(microsecondsSinceEpoch: (Int64(CalendarDay(year: 2026, month: 6, day: 10).daysSinceEpoch) * 86_400
                                                    + 14 * 3600 + 5 * 60) * 1_000_000)
    var prescriberName = "Dr Amelia Hart"
    var prescriberAddress = Prescription.Address(lines: ["MedExpress Clinical Services", "4 Albion Place"],
                                                 town: "Leeds", postcode: "LS1 6JL")
    var profession = Prescription.Profession.doctor
    var registrationNumber = "7012345"
    var patientName = "Thomas Reid"
    var patientAddress = Prescription.Address(lines: ["Flat 2", "17 Victoria Road"], town: "Bristol", postcode: "BS6 5QE")
    var dateOfBirth = CalendarDay(year: 1984, month: 6, day: 2)
    var medicineName = "Sildenafil"
    var strength = "50 mg"
    var form = "tablet"
    var quantityInUnits = 8
    var packDescription = "8 tablets"
    var directions = "One tablet one hour before sexual activity. No more than one tablet in 24 hours."

    /// A prescription issued on the UK calendar day `date`, at 10:00 UTC.
    static func issued(on date: String) -> PrescriptionParticulars {
        var particulars = PrescriptionParticulars()
        let day = CalendarDay(iso8601: date)!
        particulars.issuedAt = Instant(microsecondsSinceEpoch: (Int64(day.daysSinceEpoch) * 86_400 + 10 * 3600) * 1_000_000)
        return particulars
    }

    func prescription() throws -> Prescription {
        try Prescription(
            id: PrescriptionID(id), orderID: orderID, issuedAt: issuedAt,
            prescriber: Prescription.Prescriber(name: prescriberName, address: prescriberAddress, profession: profession,
                                                registrationNumber: registrationNumber),
            patient: Prescription.Patient(name: patientName, address: patientAddress, dateOfBirth: dateOfBirth),
            medicine: Prescription.Medicine(name: medicineName, strength: strength, form: form,
                                            quantityInUnits: quantityInUnits, packDescription: packDescription,
                                            directions: directions))
    }
}

/// A prescriber issues a prescription: every particular the law asks for is on it and checked.
final class PrescriptionTests: XCTestCase {
    func testAnIssuedPrescriptionCarriesEveryParticular() throws {
        let prescription = try PrescriptionParticulars().prescription()
        XCTAssertEqual(prescription.id, PrescriptionID("rx_0h2m5kq8x3v7n9b4c6d1f0g2hj"))
        XCTAssertEqual(prescription.orderID, "ord_5t8w2x9y4z6a1b3c7d0e2f4g6h")
        XCTAssertEqual(prescription.date, CalendarDay(year: 2026, month: 6, day: 10))
        XCTAssertEqual(prescription.prescriber.name, "Dr Amelia Hart")
        XCTAssertEqual(prescription.prescriber.address.postcode, "LS1 6JL")
        XCTAssertEqual(prescription.prescriber.profession.title, "Doctor")
        XCTAssertEqual(prescription.prescriber.registeringBody, .gmc)
        XCTAssertEqual(prescription.prescriber.registrationNumber, "7012345")
        XCTAssertEqual(prescription.patient.name, "Thomas Reid")
        XCTAssertEqual(prescription.patient.address.lines, ["Flat 2", "17 Victoria Road"])
        XCTAssertEqual(prescription.patient.dateOfBirth, CalendarDay(year: 1984, month: 6, day: 2))
        XCTAssertEqual(prescription.medicine.name, "Sildenafil")
        XCTAssertEqual(prescription.medicine.strength, "50 mg")
        XCTAssertEqual(prescription.medicine.form, "tablet")
        XCTAssertEqual(prescription.medicine.quantityInUnits, 8)
        XCTAssertEqual(prescription.medicine.packDescription, "8 tablets")
        XCTAssertEqual(Prescription.signatureAlgorithm, "Ed25519")
    }

    func testDoctorsAreOnTheGMCRegisterAndPharmacistPrescribersOnTheGPhCRegister() throws {
        XCTAssertEqual(Prescription.Profession.doctor.registeringBody.rawValue, "GMC")
        XCTAssertEqual(Prescription.Profession.pharmacistIndependentPrescriber.registeringBody.rawValue, "GPhC")
        var particulars = PrescriptionParticulars()
        particulars.profession = .pharmacistIndependentPrescriber
        particulars.registrationNumber = "2087654"
        let prescription = try particulars.prescription()
        XCTAssertEqual(prescription.prescriber.registeringBody, .gphc)
        XCTAssertEqual(prescription.prescriber.profession.title, "Pharmacist independent prescriber")
    }

    func testTheDateIsTheUKCalendarDayOfSigning() throws {
        var particulars = PrescriptionParticulars()
        // 23:30 UTC on 1 July is 00:30 BST on 2 July.
        let firstOfJuly = Int64(CalendarDay(year: 2026, month: 7, day: 1).daysSinceEpoch) * 86_400
        particulars.issuedAt = Instant(microsecondsSinceEpoch: (firstOfJuly + 23 * 3600 + 30 * 60) * 1_000_000)
        XCTAssertEqual(try particulars.prescription().date, CalendarDay(year: 2026, month: 7, day: 2))
        // 23:30 UTC on 1 December is 23:30 GMT the same day.
        let firstOfDecember = Int64(CalendarDay(year: 2026, month: 12, day: 1).daysSinceEpoch) * 86_400
        particulars.issuedAt = Instant(microsecondsSinceEpoch: (firstOfDecember + 23 * 3600 + 30 * 60) * 1_000_000)
        XCTAssertEqual(try particulars.prescription().date, CalendarDay(year: 2026, month: 12, day: 1))
    }

    func testAMissingParticularIsRefusedByName() {
        let blanks: [(field: String, blank: (inout PrescriptionParticulars) -> Void)] = [
            ("order_id", { $0.orderID = "" }),
            ("prescriber.name", { $0.prescriberName = "  " }),
            ("prescriber.address.lines", { $0.prescriberAddress = .init(lines: ["4 Albion Place", ""], town: "Leeds", postcode: "LS1 6JL") }),
            ("prescriber.address.town", { $0.prescriberAddress = .init(lines: ["4 Albion Place"], town: "", postcode: "LS1 6JL") }),
            ("prescriber.address.postcode", { $0.prescriberAddress = .init(lines: ["4 Albion Place"], town: "Leeds", postcode: "\t") }),
            ("patient.name", { $0.patientName = "" }),
            ("patient.address.town", { $0.patientAddress = .init(lines: ["17 Victoria Road"], town: "", postcode: "BS6 5QE") }),
            ("patient.address.postcode", { $0.patientAddress = .init(lines: ["17 Victoria Road"], town: "Bristol", postcode: "") }),
            ("medicine.name", { $0.medicineName = "" }),
            ("medicine.strength", { $0.strength = "" }),
            ("medicine.form", { $0.form = "" }),
            ("medicine.pack_description", { $0.packDescription = "" }),
            ("medicine.directions", { $0.directions = "\n" }),
        ]
        for (field, blank) in blanks {
            var particulars = PrescriptionParticulars()
            blank(&particulars)
            XCTAssertThrowsError(try particulars.prescription(), field) { error in
                XCTAssertEqual(error as? PrescriptionError, .missing(field: field))
                XCTAssertEqual("\(error)", "\(field): required on a prescription")
            }
        }
    }

    func testParticularsBeyondTheLimitsAreRefused() {
        var particulars = PrescriptionParticulars()
        particulars.directions = String(repeating: "é", count: 513) // 1026 bytes
        XCTAssertThrowsError(try particulars.prescription()) { error in
            XCTAssertEqual(error as? PrescriptionError, .tooLong(field: "medicine.directions", byteCount: 1026))
        }
        particulars = PrescriptionParticulars()
        particulars.directions = String(repeating: "é", count: 512)
        XCTAssertNoThrow(try particulars.prescription())

        particulars = PrescriptionParticulars()
        particulars.patientAddress = .init(lines: [], town: "Bristol", postcode: "BS6 5QE")
        XCTAssertThrowsError(try particulars.prescription()) { error in
            XCTAssertEqual(error as? PrescriptionError, .addressLineCount(field: "patient.address.lines", count: 0))
        }
        particulars.patientAddress = .init(lines: Array(repeating: "x", count: 7), town: "Bristol", postcode: "BS6 5QE")
        XCTAssertThrowsError(try particulars.prescription()) { error in
            XCTAssertEqual(error as? PrescriptionError, .addressLineCount(field: "patient.address.lines", count: 7))
        }

        for quantity in [0, -1, Prescription.maxQuantityUnits + 1] {
            particulars = PrescriptionParticulars()
            particulars.quantityInUnits = quantity
            XCTAssertThrowsError(try particulars.prescription()) { error in
                XCTAssertEqual(error as? PrescriptionError, .quantityOutOfRange(quantity))
            }
        }
    }

    func testARegistrationNumberMustBeSevenDigits() {
        for number in ["", "701234", "70123456", "701234X", "７０１２３４５", " 7012345"] {
            var particulars = PrescriptionParticulars()
            particulars.registrationNumber = number
            XCTAssertThrowsError(try particulars.prescription(), number) { error in
                XCTAssertEqual(error as? PrescriptionError, .malformedRegistrationNumber(number, body: .gmc))
            }
        }
        var particulars = PrescriptionParticulars()
        particulars.profession = .pharmacistIndependentPrescriber
        particulars.registrationNumber = "GPhC 2087654"
        XCTAssertThrowsError(try particulars.prescription()) { error in
            XCTAssertEqual("\(error)", "prescriber.registration_number: \"GPhC 2087654\" is not a GPhC number (7 digits)")
        }
    }

    func testTheIDMustBeAPrescriptionID() {
        for id in ["ord_0h2m5kq8x3v7n9b4c6d1f0g2hj", "rx_", ""] {
            var particulars = PrescriptionParticulars()
            particulars.id = id
            XCTAssertThrowsError(try particulars.prescription(), id) { error in
                XCTAssertEqual(error as? PrescriptionError, .malformedID(id))
            }
        }
    }

    func testTheDateOfBirthMustBeOnOrBeforeTheDate() throws {
        var particulars = PrescriptionParticulars()
        particulars.dateOfBirth = CalendarDay(year: 2026, month: 6, day: 11)
        XCTAssertThrowsError(try particulars.prescription()) { error in
            XCTAssertEqual(error as? PrescriptionError, .dateOfBirthOutOfRange(CalendarDay(year: 2026, month: 6, day: 11),
                                                                              prescriptionDate: CalendarDay(year: 2026, month: 6, day: 10)))
        }
        particulars.dateOfBirth = CalendarDay(year: 1899, month: 12, day: 31)
        XCTAssertThrowsError(try particulars.prescription())
        particulars.dateOfBirth = CalendarDay(year: 2026, month: 6, day: 10)
        XCTAssertNoThrow(try particulars.prescription())
    }
}
