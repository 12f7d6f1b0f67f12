/// A delivery service the customer can choose at checkout.
public struct DeliveryOption: Hashable, Sendable {
    public let id: DeliveryOptionID
    /// "Royal Mail 1st Class".
    public let name: String
    public let priceInPence: Pence
    /// Working days from dispatch to the usual delivery (1 for both Royal Mail services).
    public let workingDaysToDeliver: Int
    /// Delivery on the next working day is guaranteed (Special Delivery: by 1 pm), so it may carry
    /// refrigerated items.
    public let guaranteedNextDay: Bool
    /// The recipient signs on delivery.
    public let signatureRequired: Bool
    /// The courier's service code on the label ("CRL1" 1st Class, "SD1" Special Delivery by 1 pm).
    public let courierServiceCode: String

    public init(id: DeliveryOptionID, name: String, priceInPence: Pence, workingDaysToDeliver: Int,
                guaranteedNextDay: Bool, signatureRequired: Bool, courierServiceCode: String) {
        self.id = id
        self.name = name
        self.priceInPence = priceInPence
        self.workingDaysToDeliver = workingDaysToDeliver
        self.guaranteedNextDay = guaranteedNextDay
        self.signatureRequired = signatureRequired
        self.courierServiceCode = courierServiceCode
    }

    /// Refrigerated items travel only by a service that arrives the next day (API.md, Delivery).
    public var carriesRefrigerated: Bool { guaranteedNextDay }
}
