import Domain
import Generated
import RPCCore
import Store
import Trust

extension OrderService {
    /// Places an order: the plan is checked and priced again, the payment authorised through the
    /// gateway (held, not taken), and the order created in PENDING_CLINICAL_APPROVAL in one
    /// transaction that also marks the consultation ordered and counts the discount redemption.
    public func checkout(_ request: Medexpress_V1_CheckoutRequest, context: ServerContext) async throws -> Medexpress_V1_Order {
        let caller = try context.requireCaller()
        try Idempotency.check(request.requestId)
        let token = request.paymentMethodToken
        guard !token.isEmpty, token.utf8.count <= Self.maxPaymentTokenBytes else {
            throw Status(.invalidArgument, "payment_method_token: the payment gateway's token (1 to \(Self.maxPaymentTokenBytes) characters) is needed; card details are never sent here")
        }
        if let address = request.deliveryAddress { try CustomerDetails.checkAddress(address, field: "delivery_address") }
        let customerID = caller.subjectID
        let now = journey.clock()
        let cipher = journey.vault.cipher
        let blindIndex = journey.vault.blindIndex
        let catalog = journey.catalog
        let dialect = journey.store.dialect
        let scope = "Checkout/" + customerID
        let fingerprint = blindIndex.index("Checkout:" + Hex.encode(request.encoded()))
        if let earlier = try await Idempotency.earlierResponse(scope: scope, requestID: request.requestId, fingerprint: fingerprint,
                                                               store: journey.store) {
            return try await order(String(decoding: earlier, as: UTF8.self), ownedBy: customerID)
        }

        let (plan, address) = try await journey.store.read { tx in
            let plan = try CheckoutPlan(consultationID: request.consultationId, productID: request.productId,
                                        deliveryOptionID: request.deliveryOptionId, discountCode: request.discountCode,
                                        customerID: customerID, now: now, catalog: catalog, cipher: cipher, in: tx)
            if let address = request.deliveryAddress { return (plan, address) }
            guard let row = try tx.query("SELECT address FROM customers WHERE id = $1", [.text(customerID)]).first else {
                throw Status(.unauthenticated, "this account no longer exists")
            }
            let bytes = try cipher.open(try row.bytes("address"), context: FieldContext(table: "customers", column: "address", row: customerID))
            return (plan, try Medexpress_V1_PostalAddress(decoding: bytes))
        }

        // The order's id and the gateway's key follow the request: a retried checkout (even one
        // in flight beside the first) asks the gateway the same thing under the same key, so the
        // card is authorised once and the retry finds the order the first attempt placed.
        let orderID = OpaqueID.make(prefix: .order, bits: Array(blindIndex.index("order:" + scope + ":" + Hex.encode(fingerprint)).prefix(16)))
        let paymentKey = "checkout-" + Hex.encode(Array(fingerprint.prefix(16)))
        let payment: AuthorizedPayment
        do {
            payment = try await journey.payments.authorize(PaymentAuthorization(
                amount: plan.quote.totalInPence, paymentMethodToken: token, orderReference: orderID, idempotencyKey: paymentKey))
        } catch {
            throw Self.status(of: error, doing: "authorise the payment")
        }

        let paymentMethodIndex = blindIndex.index("card:" + payment.paymentMethodFingerprint)
        let sealedAddress = cipher.seal(address.encoded(), context: FieldContext(table: "orders", column: "delivery_address", row: orderID))
        let rules = catalog.ruleSet(for: plan.treatment.id)
        let recorded: [UInt8]
        do {
            recorded = try await Idempotency.once(scope: scope, requestID: request.requestId, fingerprint: fingerprint,
                                                  store: journey.store, now: now) { tx in
                guard try tx.execute("UPDATE consultations SET state = $1 WHERE id = $2 AND state = $3",
                                     [.integer(Int64(ConsultationRecord.State.ordered.rawValue)), .text(plan.consultation.id),
                                      .integer(Int64(ConsultationRecord.State.submitted.rawValue))]) == 1 else {
                    throw Status(.failedPrecondition, "consultation is ORDERED: an order was already placed from it (one order per consultation)")
                }
                if let discount = plan.discount {
                    if discount.firstOrderOnly, try !CheckoutPlan.isFirstOrder(customerID, in: tx) {
                        throw Status(.failedPrecondition, "discount_code: \(discount.code) is for a first order only")
                    }
                    guard try tx.execute("""
                        UPDATE discount_codes SET redemptions = redemptions + 1
                        WHERE code = $1 AND (max_redemptions IS NULL OR redemptions < max_redemptions)
                        """, [.text(discount.code)]) == 1 else {
                        throw Status(.failedPrecondition, "discount_code: \(discount.code) has been used as often as it may be")
                    }
                }
                // Rules run again with what checkout adds (the card), and the flags the
                // consultation did not already raise are kept on the order.
                var facts = ClinicalFacts(answers: [:])
                for event in try ConsultationRecord.answerEvents(of: plan.consultation.id, in: tx, cipher: cipher) {
                    facts.answers[event.questionID] = try AnswerMessages.value(event.answer)
                    if event.changed { facts.changedQuestions.insert(event.questionID) }
                }
                facts.customersSharingAddress = try ConsultationService.customersSharingAddress(with: customerID, in: tx)
                facts.customersSharingPaymentMethod = Int(try tx.query("""
                    SELECT COUNT(DISTINCT customer_id) AS others FROM orders WHERE payment_method_index = $1 AND customer_id <> $2
                    """, [.blob(paymentMethodIndex), .text(customerID)]).first?.int64("others") ?? 0)
                let earlier = Set(plan.consultation.assessment?.flags.map(\.code) ?? [])
                var checkoutFlags = Medexpress_V1_ClinicalAssessment()
                if let rules {
                    checkoutFlags.ruleSetVersion = rules.version
                    checkoutFlags.flags = ClinicalMessages.assessment(rules.evaluate(facts, medications: plan.treatment.medications),
                                                                      treatment: plan.treatment).flags.filter { !earlier.contains($0.code) }
                }
                try tx.execute("""
                    INSERT INTO orders (id, customer_id, consultation_id, treatment_id, product_id, quantity, status, payment_status,
                                        payment_id, payment_method_index, delivery_option_id, delivery_address, medication_pence,
                                        discount_pence, delivery_pence, total_pence, discount_code, quote, flag_count, checkout_flags,
                                        status_changes, created_at_us, updated_at_us)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, $21, $21)
                    """, [.text(orderID), .text(customerID), .text(plan.consultation.id), .text(plan.treatment.id.rawValue),
                          .text(plan.product.id.rawValue), .integer(Int64(CheckoutPlan.quantity)),
                          .integer(OrderMessages.stored(.pendingClinicalApproval)), .integer(Int64(Medexpress_V1_PaymentStatus.authorized.rawValue)),
                          .text(payment.paymentID), .blob(paymentMethodIndex), .text(plan.delivery.id.rawValue), .blob(sealedAddress),
                          .integer(plan.quote.medicationInPence.value), .integer(plan.quote.discountInPence.value),
                          .integer(plan.quote.deliveryInPence.value), .integer(plan.quote.totalInPence.value),
                          plan.discount.map { .text($0.code) } ?? .null, .blob(plan.quoteMessage.encoded()),
                          .integer(Int64((plan.consultation.assessment?.flags.count ?? 0) + checkoutFlags.flags.count)),
                          .blob(checkoutFlags.encoded()), .integer(now)])
                try Notices.email(customer: customerID, about: orderID, journey: journey, outbox: outbox, now: now, in: tx) { name in
                    .orderConfirmation(givenName: name, orderID: orderID, lines: Notices.lines(plan.quoteMessage),
                                       totalInPence: plan.quote.totalInPence)
                }
                try OrderRecord.recordStatus(.pendingClinicalApproval, order: orderID, sequence: 1, actor: customerID,
                                             reason: "order placed and paid (authorised); waiting for a prescriber's review",
                                             now: now, in: tx)
                try AuditLog.append(AuditEntry(caller, at: now, method: Method.checkout.descriptor.path, resource: orderID,
                                               action: "order.placed",
                                               detail: "consultation=\(plan.consultation.id) total_pence=\(plan.quote.totalInPence.value) payment=\(payment.paymentID)"),
                                    in: tx, dialect: dialect)
                return Array(orderID.utf8)
            }
        } catch {
            // A retry of this same request that was in flight at once shares the payment (the
            // gateway's key follows the request) and may have placed the order: then that order
            // is the answer, and its payment must stay held.
            if let earlier = try await Idempotency.earlierResponse(scope: scope, requestID: request.requestId, fingerprint: fingerprint,
                                                                   store: journey.store) {
                return try await order(String(decoding: earlier, as: UTF8.self), ownedBy: customerID)
            }
            let paymentID = payment.paymentID
            let used = try await journey.store.read { tx in
                try tx.query("SELECT id FROM orders WHERE payment_id = $1", [.text(paymentID)]).first != nil
            }
            // Otherwise nothing was ordered: let go of the hold at once (the gateway would drop
            // it after days). A failure here is the gateway's to log, not the customer's problem.
            if !used {
                _ = try? await journey.payments.release(paymentID: paymentID, idempotencyKey: "release-" + paymentID)
            }
            throw error
        }
        return try await order(String(decoding: recorded, as: UTF8.self), ownedBy: customerID)
    }

    /// The status for a gateway's refusal: declines and rejections are the customer's to fix
    /// (FAILED_PRECONDITION with the gateway's reason); an unreachable gateway is UNAVAILABLE.
    static func status(of error: PaymentError, doing action: String) -> Status {
        switch error {
        case .declined(let code, let reason): Status(.failedPrecondition, "payment declined (\(code)): \(reason)")
        case .rejected(let message): Status(.failedPrecondition, "the payment gateway would not \(action): \(message)")
        case .unavailable(let message): Status(.unavailable, "the payment gateway is unavailable, safe to retry: \(message)")
        }
    }
}
