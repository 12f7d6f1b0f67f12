import ClientKit

/// `ctl review`: the prescriber's queue; `ctl review ORDER_ID`: the case; `ctl review ORDER_ID
/// approve|reject|ask`: the decision (PrescriberService).
struct CtlReview {
    /// Queue entries listed, at most.
    static let maxQueueEntries: Int32 = 100

    enum Action {
        case queue(flaggedOnly: Bool)
        case show(orderID: String)
        case approve(orderID: String, directions: String)
        case reject(orderID: String, reason: String)
        case ask(orderID: String, message: String)
    }

    let action: Action

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        guard let orderID = words.first else {
            action = .queue(flaggedOnly: arguments.flag("flagged"))
            return
        }
        try CtlCommand.requireNoMoreWords(words.dropFirst(2))
        switch words.dropFirst().first {
        case nil:
            action = .show(orderID: orderID)
        case "approve":
            action = .approve(orderID: orderID, directions: arguments.string("directions", default: ""))
        case "reject":
            guard let reason = arguments.string("reason"), !reason.isEmpty else { throw UsageError("review ORDER_ID reject needs --reason R") }
            action = .reject(orderID: orderID, reason: reason)
        case "ask":
            guard let message = arguments.string("message"), !message.isEmpty else { throw UsageError("review ORDER_ID ask needs --message M") }
            action = .ask(orderID: orderID, message: message)
        case let other?:
            throw UsageError("review ORDER_ID takes approve, reject or ask, not \(other)")
        }
    }

    func run(_ session: CtlSession) async throws {
        let prescriber = Medexpress_V1_PrescriberServiceClient(channel: session.channel)
        switch action {
        case .queue(let flaggedOnly):
            let queue = try await session.call("list the review queue", needs: "PRESCRIBER") {
                try await prescriber.listReviewQueue(.with {
                    $0.pageSize = Self.maxQueueEntries
                    $0.flaggedOnly = flaggedOnly
                })
            }
            var table = CtlTable(["ORDER", "PLACED", "STATUS", "TREATMENT", "FLAGS", "WAITING FOR"])
            for entry in queue.entries {
                let waiting = [entry.awaitingIdentityCheck ? "identity check" : nil,
                               entry.awaitingWeightVerification ? "weight verification" : nil].compactMap { $0 }
                table.append([entry.orderId, CtlFormat.time(entry.placedAt), CtlFormat.status(entry.status), entry.treatmentId,
                              "\(entry.flagCount)", waiting.isEmpty ? "-" : waiting.joined(separator: ", ")])
            }
            printLine(table.text())
            printLine("\(queue.entries.count) order(s) awaiting review\(queue.nextPageToken.isEmpty ? "" : " (more beyond these)")")
        case .show(let orderID):
            let reviewed = try await session.call("read case \(orderID)", needs: "PRESCRIBER") {
                try await prescriber.getCase(.with { $0.orderId = orderID })
            }
            printCase(reviewed)
        case .approve(let orderID, let directions):
            let approval = try await session.call("approve \(orderID)", needs: "PRESCRIBER") {
                try await prescriber.approve(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.orderId = orderID
                    $0.directions = directions
                })
            }
            let issued = approval.prescription?.prescription ?? .init()
            printLine("approved \(orderID): prescription \(issued.id) for \(issued.medicineName) \(issued.strength) × \(issued.quantity), "
                + "signed (\(approval.prescription?.signatureAlgorithm ?? "?")); order \(CtlFormat.status(approval.order?.status ?? .unspecified))")
        case .reject(let orderID, let reason):
            let order = try await session.call("reject \(orderID)", needs: "PRESCRIBER") {
                try await prescriber.reject(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.orderId = orderID
                    $0.reason = reason
                })
            }
            printLine("rejected \(orderID): order \(CtlFormat.status(order.status)), payment \(order.paymentStatus.protoName)")
        case .ask(let orderID, let message):
            let order = try await session.call("ask the customer about \(orderID)", needs: "PRESCRIBER") {
                try await prescriber.requestInformation(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.orderId = orderID
                    $0.message = message
                })
            }
            printLine("asked the customer about \(orderID): order \(CtlFormat.status(order.status))")
        }
    }

    private func printCase(_ reviewed: Medexpress_V1_Case) {
        let order = reviewed.order ?? .init()
        let patient = reviewed.patient ?? .init()
        let item = order.item ?? .init()
        var facts = CtlTable(["", ""])
        facts.append(["order", "\(order.id) \(CtlFormat.status(order.status)), placed \(CtlFormat.time(order.createdAt))"])
        facts.append(["patient", "\(patient.givenName) \(patient.familyName), aged \(patient.ageYears), born \(DemoJourney.date(patient.dateOfBirth))"])
        facts.append(["identity", patient.identityStatus.protoName + (reviewed.identityCheckRequired ? " (check required)" : "")])
        facts.append(["item", "\(item.medicationName) \(item.strength), \(item.packDescription) × \(item.quantity)"])
        if reviewed.weightVerificationRequired { facts.append(["weight", "verification required"]) }
        printLine(facts.rowsText())

        var answers = CtlTable(["", "QUESTION", "ANSWERS (oldest first)"])
        for history in reviewed.answerHistory {
            let events = history.events.map { DemoJourney.describe($0.answer) + ($0.changed ? " [changed]" : "") }
            answers.append([history.changed ? "*" : " ",
                            history.questionId + (history.safetyCritical ? " (safety)" : ""),
                            events.joined(separator: " → ")])
        }
        printLine("\nanswers (* changed during the consultation)\n" + answers.text())

        let flags = (reviewed.consultation?.assessment?.flags ?? []) + reviewed.checkoutFlags
        printLine("\nflags:" + (flags.isEmpty ? " none" : ""))
        for flag in flags { printLine("  \(flag.code): \(flag.message)") }

        printLine("verifications:" + (reviewed.verifications.isEmpty ? " none" : ""))
        for verification in reviewed.verifications {
            printLine("  \(verification.method.protoName) by \(verification.recordedBy) at \(CtlFormat.time(verification.recordedAt))"
                + (verification.weightKg > 0 ? ", \(CtlFormat.decimal(verification.weightKg)) kg" : "")
                + (verification.independent ? ", independent" : "") + (verification.notes.isEmpty ? "" : ": \(verification.notes)"))
        }
        if !reviewed.messages.isEmpty {
            printLine("messages:")
            for message in reviewed.messages {
                printLine("  \(CtlFormat.time(message.at)) \(message.authorRole.protoName): \(message.text)")
            }
        }
        if !reviewed.earlierConsultations.isEmpty {
            printLine("earlier consultations:")
            for earlier in reviewed.earlierConsultations {
                printLine("  \(earlier.consultationId) \(earlier.treatmentId) \(CtlFormat.time(earlier.submittedAt)) "
                    + "\(earlier.state.protoName) \(earlier.orderId) \(CtlFormat.status(earlier.orderStatus))")
            }
        }
    }
}
