import Domain
import XCTest

private func day(_ text: String) -> CalendarDay { CalendarDay(iso8601: text)! }

/// The pharmacist completes dispensing: the supply goes into the POM register.
final class PrescriptionRegisterTests: XCTestCase {
    func testDispensingRecordsWhatWasSuppliedOnWhosePrescriptionToWhom() throws {
        let prescription = try PrescriptionParticulars().prescription()
        let entry = try POMRegisterEntry(prescription: prescription, suppliedOn: day("2026-06-11"))
        XCTAssertEqual(entry.supplyDate, day("2026-06-11"))
        XCTAssertEqual(entry.medicineName, "Sildenafil")
        XCTAssertEqual(entry.quantityInUnits, 8)
        XCTAssertEqual(entry.form, "tablet")
        XCTAssertEqual(entry.strength, "50 mg")
        XCTAssertEqual(entry.prescriberName, "Dr Amelia Hart")
        XCTAssertEqual(entry.prescriberAddress, prescription.prescriber.address)
        XCTAssertEqual(entry.patientName, "Thomas Reid")
        XCTAssertEqual(entry.patientAddress, prescription.patient.address)
        XCTAssertEqual(entry.prescriptionDate, day("2026-06-10"))
        XCTAssertEqual(entry.prescriptionID, PrescriptionID("rx_0h2m5kq8x3v7n9b4c6d1f0g2hj"))
        XCTAssertEqual(entry, POMRegisterEntry(
            supplyDate: day("2026-06-11"), medicineName: "Sildenafil", quantityInUnits: 8, form: "tablet",
            strength: "50 mg", prescriberName: "Dr Amelia Hart", prescriberAddress: prescription.prescriber.address,
            patientName: "Thomas Reid", patientAddress: prescription.patient.address,
            prescriptionDate: day("2026-06-10"), prescriptionID: prescription.id))
    }

    func testAnExpiredOrNotYetValidPrescriptionCannotBeEnteredAsASupply() throws {
        let prescription = try PrescriptionParticulars.issued(on: "2026-08-31").prescription()
        XCTAssertNoThrow(try POMRegisterEntry(prescription: prescription, suppliedOn: day("2026-08-31")))
        XCTAssertNoThrow(try POMRegisterEntry(prescription: prescription, suppliedOn: day("2027-02-28")))
        XCTAssertThrowsError(try POMRegisterEntry(prescription: prescription, suppliedOn: day("2027-03-01"))) { error in
            XCTAssertEqual(error as? PrescriptionError,
                           .notValid(on: day("2027-03-01"), validFrom: day("2026-08-31"), validUntil: day("2027-02-28")))
            XCTAssertEqual("\(error)", "the prescription is valid from 2026-08-31 to 2027-02-28, not on 2027-03-01")
        }
        XCTAssertThrowsError(try POMRegisterEntry(prescription: prescription, suppliedOn: day("2026-08-30")))
    }

    func testTheRegisterIsKeptForTwoYears() throws {
        XCTAssertEqual(POMRegisterEntry.retentionYears, 2)
        let prescription = try PrescriptionParticulars().prescription()
        XCTAssertEqual(try POMRegisterEntry(prescription: prescription, suppliedOn: day("2026-06-11")).keepUntil,
                       day("2028-06-11"))
        let leapDay = try PrescriptionParticulars.issued(on: "2028-02-29").prescription()
        XCTAssertEqual(try POMRegisterEntry(prescription: leapDay, suppliedOn: day("2028-02-29")).keepUntil,
                       day("2030-02-28"))
    }
}
