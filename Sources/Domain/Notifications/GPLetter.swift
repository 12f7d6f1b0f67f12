/// The letter that tells a patient's GP what was prescribed, sent when the patient consented in
/// their consultation (GMC good practice in prescribing remotely: share with the GP for
/// continuity of care, above all for weight-loss medicines).
public struct GPLetter: Hashable, Sendable {
    public let subject: String
    public let body: String
    /// The order it is about: the message id is "<order id>.gp-letter@<domain>".
    public let orderID: String

    /// A letter for `practice` (as the patient gave it) about `patientName` (born `dateOfBirth`):
    /// `medicine` prescribed on `date` by `prescriber` (name, profession, registration).
    public init(practice: String, patientName: String, dateOfBirth: CalendarDay, patientAddress: String, orderID: String,
                medicine: String, directions: String, date: CalendarDay, prescriber: String) {
        self.orderID = orderID
        subject = "Notification of a private prescription for your patient (born \(dateOfBirth))"
        body = """
            To the GP of the patient named below, at \(practice)

            Patient: \(patientName), born \(dateOfBirth)
            Address: \(patientAddress)

            On \(date) your patient was prescribed, after an online consultation:

              \(medicine)
              Directions: \(directions)

            Prescriber: \(prescriber)

            Your patient consented to our telling you, so that their record is complete and you can take this
            prescription into account. Please contact us if you know of any reason it should not continue.

            MedExpress clinical team

            """
    }

    public func message(from: EmailAddress, to: EmailAddress, domain: String) -> EmailMessage {
        EmailMessage(messageID: "\(orderID).gp-letter@\(domain)", from: from, to: to, subject: subject, body: body)
    }
}
