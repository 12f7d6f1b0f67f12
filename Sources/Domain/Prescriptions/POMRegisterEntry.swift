/// One supply of a prescription-only medicine in the pharmacy's POM register (HMR 2012 reg 253,
/// Schedule 23): what was supplied, when, on whose prescription, to whom.
public struct POMRegisterEntry: Hashable, Sendable {
    /// Schedule 23: the register is kept for at least 2 years from the date of the entry.
    public static let retentionYears = 2

    public let supplyDate: CalendarDay
    public let medicineName: String
    public let quantityInUnits: Int
    public let form: String
    public let strength: String
    public let prescriberName: String
    public let prescriberAddress: Prescription.Address
    public let patientName: String
    public let patientAddress: Prescription.Address
    public let prescriptionDate: CalendarDay
    public let prescriptionID: PrescriptionID

    /// An entry as recorded (read back from the register).
    public init(supplyDate: CalendarDay, medicineName: String, quantityInUnits: Int, form: String, strength: String,
                prescriberName: String, prescriberAddress: Prescription.Address, patientName: String,
                patientAddress: Prescription.Address, prescriptionDate: CalendarDay, prescriptionID: PrescriptionID) {
        self.supplyDate = supplyDate
        self.medicineName = medicineName
        self.quantityInUnits = quantityInUnits
        self.form = form
        self.strength = strength
        self.prescriberName = prescriberName
        self.prescriberAddress = prescriberAddress
        self.patientName = patientName
        self.patientAddress = patientAddress
        self.prescriptionDate = prescriptionDate
        self.prescriptionID = prescriptionID
    }

    /// The entry for supplying `prescription` on `supplyDate`; refused outside its validity,
    /// since dispensing then is not a supply in accordance with a prescription (reg 217(5)).
    public init(prescription: Prescription, suppliedOn supplyDate: CalendarDay) throws(PrescriptionError) {
        guard prescription.isValid(on: supplyDate) else {
            throw .notValid(on: supplyDate, validFrom: prescription.date, validUntil: prescription.validUntil)
        }
        self.init(supplyDate: supplyDate, medicineName: prescription.medicine.name,
                  quantityInUnits: prescription.medicine.quantityInUnits, form: prescription.medicine.form,
                  strength: prescription.medicine.strength, prescriberName: prescription.prescriber.name,
                  prescriberAddress: prescription.prescriber.address, patientName: prescription.patient.name,
                  patientAddress: prescription.patient.address, prescriptionDate: prescription.date,
                  prescriptionID: prescription.id)
    }

    /// The last day the entry must still be kept: `retentionYears` from the supply date, ending
    /// on the corresponding day (a supply on 29 February: on 28 February).
    public var keepUntil: CalendarDay {
        let year = supplyDate.year + Self.retentionYears
        return CalendarDay.valid(year: year, month: supplyDate.month, day: supplyDate.day)
            ?? CalendarDay(year: year, month: supplyDate.month, day: CalendarDay.numberOfDays(inMonth: supplyDate.month, year: year))
    }
}
