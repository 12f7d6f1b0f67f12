import Domain
import Synchronization

/// The built-in courier for running without a courier account (a laptop, tests): it books
/// nothing, writes no files, and answers as Royal Mail would, with a UPU S10 tracking number and
/// a one-page PDF label marked as not valid for posting.
///
/// Tracking numbers need no storage to stay stable: the serial is a hash of the reference, so the
/// same reference gets the same number in this run and after a restart. Within a run, a serial
/// already given to another reference moves on to the next free one, so numbers are unique; across
/// restarts two references share a number only if their hashes meet among 10^8 serials per service
/// (for n parcels about n²/2·10⁻⁸: 1 in 20,000 for 100 parcels) — fine for a laptop, and why this
/// gateway is not for production.
public final class LocalCourierGateway: CourierGateway {
    /// The services it knows, by Click & Drop service code, with the S10 service indicator its
    /// numbers carry. Royal Mail does not publish which indicators it gives domestic services, so
    /// these come from S10's block for domestic use (ZA–ZZ): they cannot pass for a real item.
    public static let serviceIndicators: [String: String] = ["CRL1": "ZF", "SD1": "ZS"]
    /// Services guaranteed for the next working day: the only ones a refrigerated parcel may take.
    public static let guaranteedNextDayServices: Set<String> = ["SD1"]

    /// Most shipments remembered before new references are refused: a bound on memory.
    public let maxShipments: Int
    private let state = Mutex(State())

    public init(maxShipments: Int = 100_000) {
        precondition((1...TrackingNumber.maxSerial).contains(maxShipments), "the local courier needs room for a shipment, and no more than it has serials")
        self.maxShipments = maxShipments
    }

    public func createShipment(_ request: ShipmentRequest) async throws(CourierError) -> CreatedShipment {
        guard !request.reference.isEmpty else { throw .rejected("a shipment needs a reference") }
        guard let indicator = Self.serviceIndicators[request.serviceCode] else {
            let known = Self.serviceIndicators.keys.sorted().joined(separator: ", ")
            throw .rejected("the local courier offers \(known), not \(request.serviceCode.debugDescription)")
        }
        if request.refrigerated && !Self.guaranteedNextDayServices.contains(request.serviceCode) {
            throw .rejected("a refrigerated parcel must go by a next-day guaranteed service, not \(request.serviceCode)")
        }
        guard request.weightGrams > 0 else { throw .rejected("the weight must be more than 0 g, not \(request.weightGrams) g") }
        let recipient = request.recipient
        guard recipient.countryCode == "GB" else { throw .rejected("the local courier delivers in the UK only, not to \(recipient.countryCode)") }
        guard UKPostcode.isWellFormed(recipient.postcode) else {
            throw .rejected("\(recipient.postcode.debugDescription) is not a UK postcode")
        }
        guard recipient.name.contains(where: { !$0.isWhitespace }), !recipient.addressLines.isEmpty,
              recipient.town.contains(where: { !$0.isWhitespace }) else {
            throw .rejected("the address needs a name, at least one street line and a town")
        }

        let trackingNumber = try state.withLock { state throws(CourierError) in
            if let earlier = state.shipments[request.reference] {
                guard earlier.request == request else {
                    throw .rejected("the reference \(request.reference) was booked before with other details")
                }
                return earlier.trackingNumber
            }
            guard state.shipments.count < maxShipments else {
                throw .unavailable("the local courier holds its limit of \(maxShipments) shipments; restart it")
            }
            var serial = Self.serial(for: request.reference)
            var number = TrackingNumber.make(serviceIndicator: indicator, serial: serial)
            while state.issued.contains(number) {
                serial = serial == TrackingNumber.maxSerial ? 0 : serial + 1
                number = TrackingNumber.make(serviceIndicator: indicator, serial: serial)
            }
            state.issued.insert(number)
            state.shipments[request.reference] = (request, number)
            return number
        }
        return CreatedShipment(trackingNumber: trackingNumber, courierShipmentID: "local_\(trackingNumber)",
                               label: LocalShippingLabel(trackingNumber: trackingNumber, request: request).pdf)
    }

    /// The reference's serial: FNV-1a (64-bit) of its UTF-8, mixed by SplitMix64's finaliser so
    /// every digit depends on every byte. Swift's `Hasher` is not used: it is seeded per process,
    /// and the serial must survive a restart.
    static func serial(for reference: String) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in reference.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Int(hash % UInt64(TrackingNumber.maxSerial + 1))
    }

    private struct State {
        var shipments: [String: (request: ShipmentRequest, trackingNumber: String)] = [:]
        var issued: Set<String> = []
    }
}
