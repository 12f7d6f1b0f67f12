import Domain
import Generated
import RPCCore
import Store
import Trust

/// The pharmacy's records as `medexpress.v1` messages.
enum PharmacyMessages {
    static func registerEntry(_ entry: POMRegisterEntry, id: String, suppliedBy: String) -> Medexpress_V1_PomRegisterEntry {
        var message = Medexpress_V1_PomRegisterEntry()
        message.entryId = id
        message.supplyDate = PrescriptionRecord.date(entry.supplyDate)
        message.medicineName = entry.medicineName
        message.quantity = Int32(entry.quantityInUnits)
        message.form = entry.form
        message.strength = entry.strength
        message.prescriberName = entry.prescriberName
        message.prescriberAddress = PrescriptionRecord.address(entry.prescriberAddress)
        message.patientName = entry.patientName
        message.patientAddress = PrescriptionRecord.address(entry.patientAddress)
        message.prescriptionDate = PrescriptionRecord.date(entry.prescriptionDate)
        message.prescriptionId = entry.prescriptionID.rawValue
        message.suppliedBy = suppliedBy
        message.keepUntil = PrescriptionRecord.date(entry.keepUntil)
        return message
    }

    /// Where dispensing of `orderID` stands, with its register entry once complete.
    static func dispensingStatus(_ orderID: String, in tx: any ReadTransaction, cipher: FieldCipher) throws -> Medexpress_V1_DispensingStatus {
        var status = Medexpress_V1_DispensingStatus()
        status.orderId = orderID
        if let order = try tx.query("SELECT status FROM orders WHERE id = $1", [.text(orderID)]).first {
            status.status = OrderMessages.message(try OrderMessages.status(stored: try order.int64("status")))
        }
        if let row = try tx.query("SELECT items_required, items_verified FROM dispensing WHERE order_id = $1", [.text(orderID)]).first {
            status.itemsRequired = Int32(try row.int64("items_required"))
            status.itemsVerified = Int32(try row.int64("items_verified"))
        }
        if let row = try tx.query("SELECT id, entry FROM pom_register WHERE order_id = $1", [.text(orderID)]).first {
            status.registerEntry = try Medexpress_V1_PomRegisterEntry(decoding: try cipher.open(
                try row.bytes("entry"), context: FieldContext(table: "pom_register", column: "entry", row: try row.string("id"))))
        }
        return status
    }
}
