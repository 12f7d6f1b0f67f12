/// The seam to a courier: a parcel booked for collection gets a tracking number and a label.
/// Labels are discreet (API.md, Delivery): no product or pharmacy names, nothing that says what
/// is inside.
public protocol CourierGateway: Sendable {
    /// Books `request`; the same `request.reference` books once, however often it is sent.
    func createShipment(_ request: ShipmentRequest) async throws(CourierError) -> CreatedShipment
}

/// A parcel to book.
public struct ShipmentRequest: Hashable, Sendable {
    /// Our reference for the parcel ("shp_…"): the courier's idempotency key and our lookup.
    public let reference: String
    public let recipient: ShipmentRecipient
    /// The courier's service code (`DeliveryOption.courierServiceCode`: "CRL1", "SD1").
    public let serviceCode: String
    public let weightGrams: Int
    /// Cold-chain packaging: the courier must keep it on a next-day service.
    public let refrigerated: Bool
    public let signatureRequired: Bool

    public init(reference: String, recipient: ShipmentRecipient, serviceCode: String, weightGrams: Int, refrigerated: Bool,
                signatureRequired: Bool) {
        self.reference = reference
        self.recipient = recipient
        self.serviceCode = serviceCode
        self.weightGrams = weightGrams
        self.refrigerated = refrigerated
        self.signatureRequired = signatureRequired
    }
}

/// Who the parcel goes to.
public struct ShipmentRecipient: Hashable, Sendable {
    public let name: String
    /// Street lines, first to last.
    public let addressLines: [String]
    public let town: String
    public let postcode: String
    /// ISO 3166-1 alpha-2 ("GB").
    public let countryCode: String
    /// For the courier's delivery notifications; may be empty.
    public let email: String
    public let phone: String

    public init(name: String, addressLines: [String], town: String, postcode: String, countryCode: String = "GB",
                email: String = "", phone: String = "") {
        self.name = name
        self.addressLines = addressLines
        self.town = town
        self.postcode = postcode
        self.countryCode = countryCode
        self.email = email
        self.phone = phone
    }
}

/// A booked parcel.
public struct CreatedShipment: Hashable, Sendable {
    /// The courier's tracking number (Royal Mail: UPU S10, "AB123456785GB").
    public let trackingNumber: String
    /// The courier's own id of the booking.
    public let courierShipmentID: String
    /// The label to print, as the courier gave it (PDF), or empty when the courier prints it.
    public let label: [UInt8]

    public init(trackingNumber: String, courierShipmentID: String, label: [UInt8]) {
        self.trackingNumber = trackingNumber
        self.courierShipmentID = courierShipmentID
        self.label = label
    }
}

/// Why the courier did not book the parcel.
public enum CourierError: Error, Hashable, Sendable {
    /// The courier refused the booking (bad postcode, service not available); the message says why.
    case rejected(String)
    /// The courier could not be reached or failed; safe to retry with the same reference.
    case unavailable(String)
}
