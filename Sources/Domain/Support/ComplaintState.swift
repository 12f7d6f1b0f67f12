/// Where a complaint about an order stands (support.proto, `ComplaintState`). The raw value is the
/// name used in messages ("complaint is RESOLVED: …").
public enum ComplaintState: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// With the support team.
    case open = "COMPLAINT_OPEN"
    /// Waiting for the customer's photos.
    case evidenceRequested = "EVIDENCE_REQUESTED"
    /// Resolved once, for good: the outcome is kept for the regulators.
    case resolved = "COMPLAINT_RESOLVED"

    public var description: String { rawValue }

    /// The state after `event`; an event the state does not allow is refused with a message that
    /// names the state. The only way a complaint moves.
    ///
    /// Evidence may be asked for again (a blurred photo) and the customer may send photos before
    /// being asked; once photos arrive the complaint is back with the team. A resolved complaint
    /// takes nothing more: its outcome (a refund, a replacement) has been acted on.
    public func applying(_ event: ComplaintEvent) throws(ComplaintTransitionError) -> ComplaintState {
        switch (self, event) {
        case (.open, .requestEvidence), (.evidenceRequested, .requestEvidence): return .evidenceRequested
        case (.open, .uploadEvidence), (.evidenceRequested, .uploadEvidence): return .open
        case (.open, .resolve), (.evidenceRequested, .resolve): return .resolved
        default: throw ComplaintTransitionError(from: self, event: event)
        }
    }
}

/// What can happen to a complaint.
public enum ComplaintEvent: String, CaseIterable, Hashable, Sendable {
    /// The support team asks the customer for photos.
    case requestEvidence
    /// The customer sends a photo.
    case uploadEvidence
    /// The support team decides the outcome.
    case resolve
}

/// An event the complaint's state does not allow (FAILED_PRECONDITION): the message names the state.
public struct ComplaintTransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    public let from: ComplaintState
    public let event: ComplaintEvent

    public init(from: ComplaintState, event: ComplaintEvent) {
        self.from = from
        self.event = event
    }

    /// "complaint is COMPLAINT_RESOLVED: it was already resolved".
    public var description: String {
        let reason = switch event {
        case .requestEvidence: "evidence is not requested for a resolved complaint"
        case .uploadEvidence: "evidence is no longer taken for a resolved complaint"
        case .resolve: "it was already resolved"
        }
        return "complaint is \(from.rawValue): \(reason)"
    }
}
