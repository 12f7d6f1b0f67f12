import ClientKit

/// `ctl dispense ORDER_ID`: the pharmacist's flow (PharmacyService): check the prescription's
/// signature, start dispensing, scan each item's barcode until every item matches, complete
/// (the POM register entry) and book the shipment (the tracking number).
struct CtlDispense {
    /// Scans that did not match before ctl gives up, at most.
    static let maxMismatchedScans = 5

    let orderID: String
    /// Barcodes given with `--scans GTIN,GTIN` (a scanner's log, a script), used before asking.
    let scans: [String]

    init(_ words: ArraySlice<String>, _ arguments: inout Arguments) throws(UsageError) {
        guard let orderID = words.first else { throw UsageError("dispense needs ORDER_ID") }
        try CtlCommand.requireNoMoreWords(words.dropFirst())
        self.orderID = orderID
        scans = (arguments.string("scans") ?? "").split(separator: ",").map { String($0) }
    }

    func run(_ session: CtlSession) async throws {
        let pharmacy = Medexpress_V1_PharmacyServiceClient(channel: session.channel)
        let role = "PHARMACIST"
        let signed = try await session.call("read the prescription of \(orderID)", needs: role) {
            try await pharmacy.getPrescription(.with { $0.id = orderID })
        }
        let rx = signed.prescription ?? .init()
        printLine("prescription \(rx.id) by \(rx.prescriberName) (\(rx.registeringBody) \(rx.registrationNumber)): "
            + "\(rx.medicineName) \(rx.strength) \(rx.form), \(rx.packDescription) × \(rx.quantity) for \(rx.patientName); "
            + "signature verified by the server: \(signed.signatureVerified ? "yes" : "NO")")
        guard signed.signatureVerified else {
            throw CtlFailure("the prescription's signature did not verify: do not dispense; tell the prescriber")
        }
        var status = try await session.call("start dispensing \(orderID)", needs: role) {
            try await pharmacy.startDispensing(.with {
                $0.requestId = CtlSession.requestID()
                $0.orderId = orderID
            })
        }
        printLine("dispensing \(orderID): \(status.itemsRequired) item(s) to scan")
        var mismatches = 0
        var given = scans[...]
        while status.itemsVerified < status.itemsRequired {
            let prompt = "scan item \(status.itemsVerified + 1) of \(status.itemsRequired): "
            guard let scanned = try given.popFirst() ?? CtlTerminal.ask(prompt, echo: true) else {
                throw CtlFailure("no terminal to scan on and no more --scans; dispensing of \(orderID) stays started")
            }
            let gtin = scanned.filter { $0 != " " }
            guard !gtin.isEmpty else { continue }
            let scan = try await session.call("check the scan of \(orderID)", needs: role) {
                try await pharmacy.verifyItem(.with {
                    $0.requestId = CtlSession.requestID()
                    $0.orderId = orderID
                    $0.scannedGtin = gtin
                })
            }
            if scan.matches, let verified = scan.status {
                status = verified
                printLine("  \(gtin) matches (\(status.itemsVerified)/\(status.itemsRequired))")
            } else {
                mismatches += 1
                printLine("  \(gtin) does NOT match: \(scan.reason); set that pack aside")
                guard mismatches < Self.maxMismatchedScans else {
                    throw CtlFailure("\(mismatches) scans did not match the prescription (GTIN \(rx.gtin)); stopping")
                }
            }
        }
        let completed = try await session.call("complete dispensing \(orderID)", needs: role) {
            try await pharmacy.completeDispensing(.with {
                $0.requestId = CtlSession.requestID()
                $0.orderId = orderID
            })
        }
        let entry = completed.registerEntry ?? .init()
        printLine("POM register entry \(entry.entryId): supplied \(DemoJourney.date(entry.supplyDate)) "
            + "\(entry.medicineName) \(entry.strength) \(entry.form) × \(entry.quantity) to \(entry.patientName) "
            + "on prescription \(entry.prescriptionId) of \(DemoJourney.date(entry.prescriptionDate)) by \(entry.prescriberName); "
            + "supplied by \(entry.suppliedBy); keep until \(DemoJourney.date(entry.keepUntil))")
        let shipment = try await session.call("book the shipment of \(orderID)", needs: role) {
            try await pharmacy.createShipment(.with {
                $0.requestId = CtlSession.requestID()
                $0.orderId = orderID
            })
        }
        printLine("shipment \(shipment.id) (\(shipment.serviceCode)\(shipment.signatureRequired ? ", signature" : "")"
            + "\(shipment.refrigerated ? ", refrigerated" : "")): tracking number \(shipment.trackingNumber) \(shipment.trackingUrl); "
            + "estimated delivery \(DemoJourney.date(shipment.estimatedDelivery))")
    }
}
