import Domain
import Generated

/// Consultations and the rules' assessments as `medexpress.v1` messages.
enum ClinicalMessages {
    static func assessment(_ assessment: ClinicalAssessment, treatment: Domain.Treatment) -> Medexpress_V1_ClinicalAssessment {
        var message = Medexpress_V1_ClinicalAssessment()
        message.ruleSetVersion = assessment.ruleSetVersion
        message.offered = assessment.offeredMedications.compactMap { id in
            guard let medication = treatment.medications.first(where: { $0.id == id }) else { return nil }
            var offered = Medexpress_V1_OfferedMedication()
            offered.medicationId = id.rawValue
            offered.name = medication.name
            offered.productIds = medication.products.map(\.id.rawValue)
            return offered
        }
        message.exclusions = assessment.exclusions.map { exclusion in
            var message = Medexpress_V1_Exclusion()
            message.medicationId = exclusion.medication.rawValue
            message.reason = exclusion.reason
            return message
        }
        message.flags = assessment.flags.map { flag in
            var message = Medexpress_V1_ClinicalFlag()
            message.code = flag.code
            message.message = flag.message
            return message
        }
        message.derivedValues = assessment.derivedValues
        return message
    }

    /// The consultation with the last answer to each question, in questionnaire order.
    static func consultation(_ record: ConsultationRecord, events: [ConsultationRecord.AnswerEvent], questionOrder: [QuestionID],
                             checkoutWindowDays: Int) -> Medexpress_V1_Consultation {
        var message = Medexpress_V1_Consultation()
        message.id = record.id
        message.treatmentId = record.treatmentID.rawValue
        message.questionnaireVersion = record.questionnaireVersion
        message.state = record.state
        message.startedAt = Timestamps.timestamp(microseconds: record.startedAt)
        if let submittedAt = record.submittedAt {
            message.submittedAt = Timestamps.timestamp(microseconds: submittedAt)
            message.checkoutDeadline = Timestamps.timestamp(microseconds: submittedAt + Int64(checkoutWindowDays) * Instant.microsecondsPerDay)
        }
        var latest: [QuestionID: ConsultationRecord.AnswerEvent] = [:]
        var changes: [QuestionID: Int32] = [:]
        for event in events {
            latest[event.questionID] = event
            if event.changed { changes[event.questionID, default: 0] += 1 }
        }
        let ordered = questionOrder.filter { latest[$0] != nil } + latest.keys.filter { !questionOrder.contains($0) }.sorted { $0.rawValue < $1.rawValue }
        message.answers = ordered.compactMap { id in
            guard let event = latest[id] else { return nil }
            var answer = Medexpress_V1_CurrentAnswer()
            answer.questionId = id.rawValue
            answer.answer = event.answer
            answer.answeredAt = Timestamps.timestamp(microseconds: event.recordedAt)
            answer.changes = changes[id] ?? 0
            return answer
        }
        message.assessment = record.assessment
        return message
    }
}
