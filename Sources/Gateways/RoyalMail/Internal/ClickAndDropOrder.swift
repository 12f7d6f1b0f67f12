import Domain

/// The body of `POST /orders` for one parcel (`CreateOrdersRequest` with one `CreateOrderRequest`),
/// checked against the API's documented limits first so a bad request is refused with the field named.
///
/// Discreet by construction (API.md, Delivery): nothing but the recipient, weight and service is
/// sent. No `contents`, `specialInstructions`, `tags` or `sender` (Click & Drop prints the
/// account's default trading name as the return address), and zero order values.
struct ClickAndDropOrder {
    /// `CreateOrderRequest.orderReference` maxLength.
    static let maxReferenceLength = 40
    /// `AddressRequest`: fullName, address lines, city, postcode; `RecipientDetailsRequest`: phone, email.
    static let maxFullNameLength = 210
    static let maxAddressLineLength = 100
    static let maxAddressLines = 3
    static let maxCityLength = 100
    static let maxPostcodeLength = 20
    static let maxPhoneLength = 25
    static let maxEmailLength = 254
    /// `PostageDetailsRequest.serviceCode` maxLength.
    static let maxServiceCodeLength = 10
    /// `ShipmentPackageRequest.weightInGrams` bounds.
    static let weightRangeInGrams = 1...30_000
    /// The heaviest parcel sent as `smallParcel` (Royal Mail's small parcel: up to 2 kg).
    static let maxSmallParcelGrams = 2_000
    /// The heaviest parcel sent as `mediumParcel` (up to 20 kg); heavier is `parcel`.
    static let maxMediumParcelGrams = 20_000

    let body: [UInt8]

    /// The order for `request`, placed at `orderDate` (ISO 8601, UTC).
    init(_ request: ShipmentRequest, orderDate: String) throws(CourierError) {
        try Self.check(request)
        let recipient = request.recipient
        var address: [(key: String, value: OutgoingJSON)] = [("fullName", .string(recipient.name))]
        for (index, line) in recipient.addressLines.enumerated() {
            address.append(("addressLine\(index + 1)", .string(line)))
        }
        address += [("city", .string(recipient.town)), ("postcode", .string(recipient.postcode)),
                     ("countryCode", .string(recipient.countryCode))]
        var contact: [(key: String, value: OutgoingJSON)] = [("address", .object(address))]
        if !recipient.phone.isEmpty { contact.append(("phoneNumber", .string(recipient.phone))) }
        if !recipient.email.isEmpty { contact.append(("emailAddress", .string(recipient.email))) }

        let order: OutgoingJSON = [
            "orderReference": .string(request.reference),
            "recipient": .object(contact),
            "orderDate": .string(orderDate),
            "subtotal": 0,
            "shippingCostCharged": 0,
            "total": 0,
            "currencyCode": "GBP",
            "packages": [[
                "weightInGrams": .integer(request.weightGrams),
                "packageFormatIdentifier": .string(Self.packageFormat(weightInGrams: request.weightGrams)),
            ]],
            "postageDetails": [
                "sendNotificationsTo": "recipient",
                "serviceCode": .string(request.serviceCode),
                "receiveEmailNotification": .bool(!recipient.email.isEmpty),
                "receiveSmsNotification": .bool(!recipient.phone.isEmpty),
                "requestSignatureUponDelivery": .bool(request.signatureRequired),
            ],
            "label": ["includeLabelInResponse": true, "includeCN": false, "includeReturnsLabel": false],
        ]
        body = OutgoingJSON.object([("items", [order])]).encoded
    }

    /// Special Delivery Guaranteed (SD1–SD6, and SD1OLP… on online-postage accounts) is Royal
    /// Mail's service guaranteed for the next working day: the only one a refrigerated parcel may take.
    static func isGuaranteedNextDay(serviceCode: String) -> Bool { serviceCode.hasPrefix("SD") }

    static func packageFormat(weightInGrams: Int) -> String {
        switch weightInGrams {
        case ...maxSmallParcelGrams: "smallParcel"
        case ...maxMediumParcelGrams: "mediumParcel"
        default: "parcel"
        }
    }

    private static func check(_ request: ShipmentRequest) throws(CourierError) {
        let recipient = request.recipient
        try checkText(request.reference, "the reference", limit: maxReferenceLength)
        guard request.reference.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .rejected("the reference \(request.reference.debugDescription) must be printable ASCII without spaces")
        }
        try checkText(request.serviceCode, "the service code", limit: maxServiceCodeLength)
        guard ClickAndDropOrder.weightRangeInGrams.contains(request.weightGrams) else {
            throw .rejected("Click & Drop takes parcels of \(weightRangeInGrams.lowerBound) to \(weightRangeInGrams.upperBound) g, not \(request.weightGrams) g")
        }
        if request.refrigerated && !isGuaranteedNextDay(serviceCode: request.serviceCode) {
            throw .rejected("a refrigerated parcel must go by Special Delivery Guaranteed (next working day), not \(request.serviceCode)")
        }
        try checkText(recipient.name, "the recipient's name", limit: maxFullNameLength)
        guard !recipient.addressLines.isEmpty, recipient.addressLines.count <= maxAddressLines else {
            throw .rejected("Click & Drop takes one to \(maxAddressLines) address lines, not \(recipient.addressLines.count)")
        }
        for (index, line) in recipient.addressLines.enumerated() {
            try checkText(line, "address line \(index + 1)", limit: maxAddressLineLength)
        }
        try checkText(recipient.town, "the town", limit: maxCityLength)
        try checkText(recipient.postcode, "the postcode", limit: maxPostcodeLength)
        guard recipient.countryCode.count == 2, recipient.countryCode.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw .rejected("the country code \(recipient.countryCode.debugDescription) is not ISO 3166-1 alpha-2")
        }
        try checkText(recipient.phone, "the phone number", limit: maxPhoneLength, optional: true)
        try checkText(recipient.email, "the email address", limit: maxEmailLength, optional: true)
    }

    private static func checkText(_ text: String, _ what: String, limit: Int, optional: Bool = false) throws(CourierError) {
        if text.isEmpty && optional { return }
        guard text.contains(where: { !$0.isWhitespace }) else { throw .rejected("\(what) is empty") }
        guard text.count <= limit else { throw .rejected("\(what) is longer than Click & Drop's \(limit) characters") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .rejected("\(what) contains a control character")
        }
    }
}
