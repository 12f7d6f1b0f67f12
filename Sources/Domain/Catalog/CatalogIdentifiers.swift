/// A treatment area, by its stable slug ("erectile-dysfunction", "weight-loss", "hair-loss", "asthma").
public struct TreatmentID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A question of a treatment's questionnaire, by its stable key ("nitrates", "weight_kg").
/// Keys never change meaning between questionnaire versions; a changed question gets a new key.
public struct QuestionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A licensed medicine (a molecule in a form: "sildenafil", "tirzepatide-pen").
public struct MedicationID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// One sellable pack: a medication at one strength and pack size ("sildenafil-50mg-8").
public struct ProductID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A delivery service ("royal-mail-1st-class", "royal-mail-special-delivery").
public struct DeliveryOptionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}
