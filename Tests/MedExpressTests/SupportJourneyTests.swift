import Domain
import Foundation
import Generated
import MedExpress
import RPCCore
import Store
import XCTest

/// Customer support (issue 5): a customer's ticket about their order, the agent's assignment and
/// templated reply reaching them by email, an escalation a prescriber answers for the agent alone,
/// resolution, and a live chat both sides see as it happens, on SQLite and on PostgreSQL. Staff
/// sign in over mTLS with certificate, password and TOTP.
final class SupportJourneyTests: XCTestCase {
    func testACustomerOpensATicketAboutTheirOrderAndSeesIt() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store)
            let (customer, order) = try await orderedCustomer(deployment, "asks@example.org")
            let request = openRequest(order: order, requestID: "open-1")
            let ticket = try await deployment.support.openTicket(request, metadata: customer.metadata)
            XCTAssertTrue(ticket.id.hasPrefix("tkt_"), name)
            XCTAssertEqual(ticket.state, .ticketOpen, name)
            XCTAssertEqual(ticket.channel, .contactForm, name)
            XCTAssertEqual(ticket.orderId, order, name)
            XCTAssertEqual(ticket.messages.map(\.text), ["I ordered on Monday and nothing has arrived yet."], name)
            XCTAssertEqual(ticket.messages.map(\.sequence), [1], name)
            XCTAssertEqual(ticket.messages.first?.authorRole, .customer, name)

            let retried = try await deployment.support.openTicket(request, metadata: customer.metadata)
            XCTAssertEqual(retried.id, ticket.id, "\(name): a retried request opens no second ticket")
            var changed = request
            changed.subject = "Something else"
            let reused = await failure { _ = try await deployment.support.openTicket(changed, metadata: customer.metadata) }
            XCTAssertEqual(reused?.code, .alreadyExists, name)

            let mine = try await deployment.support.listMyTickets(.init(), metadata: customer.metadata)
            XCTAssertEqual(mine.tickets.map(\.id), [ticket.id], name)
            XCTAssertEqual(mine.tickets.first?.subject, "Where is my parcel?", name)
            XCTAssertTrue(mine.tickets.first?.messages.isEmpty ?? false, name)

            // Another customer cannot reach the order, the ticket or its chat.
            let other = try await deployment.signUp("other@example.org")
            let notTheirs = await failure { _ = try await deployment.support.openTicket(openRequest(order: order), metadata: other.metadata) }
            XCTAssertEqual(notTheirs?.code, .notFound, name)
            let othersTickets = try await deployment.support.listMyTickets(.init(), metadata: other.metadata).tickets.isEmpty
            XCTAssertTrue(othersTickets, name)
            let chat = try await TestChat(deployment.support, metadata: other.metadata, ticket: ticket.id)
            let othersChat = try await chat.end()?.code
            XCTAssertEqual(othersChat, .notFound, name)

            let tooLong = await failure {
                var long = openRequest(order: order)
                long.subject = String(repeating: "a", count: 201)
                _ = try await deployment.support.openTicket(long, metadata: customer.metadata)
            }
            XCTAssertEqual(tooLong?.code, .invalidArgument, name)
            let noCategory = await failure {
                var uncategorised = openRequest(order: order)
                uncategorised.category = .unspecified
                _ = try await deployment.support.openTicket(uncategorised, metadata: customer.metadata)
            }
            XCTAssertEqual(noCategory?.code, .invalidArgument, name)

            // Health data: sealed at rest.
            let sealed = try await store.read { tx in
                (try tx.query("SELECT subject FROM tickets").map { try $0.bytes("subject") }
                    + tx.query("SELECT text FROM ticket_messages").map { try $0.bytes("text") })
            }
            for bytes in sealed {
                let clear = String(decoding: bytes, as: UTF8.self)
                XCTAssertFalse(clear.contains("parcel") || clear.contains("Monday"), name)
            }
            await deployment.stop()
        }
    }

    func testAnAgentAssignsAndRepliesWithTheDeliveryDelayTemplateAndTheCustomerIsEmailed() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let (customer, order) = try await orderedCustomer(deployment, "waiting@example.org")
            let ticket = try await deployment.support.openTicket(openRequest(order: order), metadata: customer.metadata)
            let agent = try await deployment.signInStaff("agent-amy", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)

            let unassigned = try await support.listTickets(.with { $0.states = [.ticketOpen]; $0.unassignedOnly = true })
            XCTAssertEqual(unassigned.tickets.map(\.id), [ticket.id], name)
            XCTAssertTrue(unassigned.tickets[0].messages.isEmpty, name)
            let assigned = try await support.assignTicket(.with { $0.requestId = "assign-1"; $0.ticketId = ticket.id })
            XCTAssertEqual(assigned.assignedTo, agent.id, name)
            let amysTickets = try await support.listTickets(.with { $0.assignedTo = agent.id }).tickets.map(\.id)
            XCTAssertEqual(amysTickets, [ticket.id], name)
            let stillUnassigned = try await support.listTickets(.with { $0.unassignedOnly = true }).tickets.isEmpty
            XCTAssertTrue(stillUnassigned, name)
            let customerAsAgent = await failure { _ = try await support.assignTicket(.with {
                $0.requestId = "assign-2"
                $0.ticketId = ticket.id
                $0.agentId = customer.id
            }) }
            XCTAssertEqual(customerAsAgent?.code, .notFound, name)

            let unknown = await failure { _ = try await support.reply(.with {
                $0.requestId = "reply-0"
                $0.ticketId = ticket.id
                $0.template = "sorry_for_the_wait"
            }) }
            XCTAssertEqual(unknown?.code, .invalidArgument, name)
            XCTAssertTrue(unknown?.message.contains("delivery_delay") ?? false, "\(name): \(unknown?.message ?? "")")

            let reply = Medexpress_V1_ReplyRequest.with {
                $0.requestId = "reply-1"
                $0.ticketId = ticket.id
                $0.template = "delivery_delay"
                $0.awaitCustomer = true
            }
            let replied = try await support.reply(reply)
            XCTAssertEqual(replied.state, .ticketPendingCustomer, name)
            let firstResponse = try XCTUnwrap(replied.firstResponseAt, name)
            let sent = try XCTUnwrap(replied.messages.last, name)
            XCTAssertEqual(sent.template, "delivery_delay", name)
            XCTAssertEqual(sent.authorId, agent.id, name)
            XCTAssertFalse(sent.internal, name)
            XCTAssertTrue(sent.text.contains("order \(order) is taking longer"), "\(name): \(sent.text)")
            XCTAssertTrue(sent.text.contains("not been dispatched yet"), "\(name): \(sent.text)")

            _ = try await deployment.outbox.dispatchDue()
            let emails = deployment.emails.messages("ticket-reply", about: ticket.id)
            XCTAssertEqual(emails.count, 1, name)
            XCTAssertEqual(emails.first?.to.address, "waiting@example.org", name)
            XCTAssertTrue(emails.first?.body.contains(order) ?? false, "\(name): \(emails.first?.body ?? "")")
            XCTAssertFalse(emails.first?.subject.contains("parcel") ?? true, "\(name): the subject stays discreet")

            // A retried reply changes nothing and emails nobody again.
            let again = try await support.reply(reply)
            XCTAssertEqual(again.messages.count, replied.messages.count, name)
            XCTAssertEqual(again.firstResponseAt, firstResponse, name)
            let second = try await support.reply(.with {
                $0.requestId = "reply-2"
                $0.ticketId = ticket.id
                $0.text = "We have chased Royal Mail for you."
            })
            XCTAssertEqual(second.state, .ticketOpen, name)
            XCTAssertEqual(second.firstResponseAt, firstResponse, "\(name): only the first reply stamps the first response")
            _ = try await deployment.outbox.dispatchDue()
            XCTAssertEqual(deployment.emails.messages("ticket-reply", about: ticket.id).map(\.messageID).sorted(),
                           ["\(ticket.id).ticket-reply-1@\(MailSettings().domain)", "\(ticket.id).ticket-reply-2@\(MailSettings().domain)"], name)

            // Reading the whole conversation is an audited read.
            let read = try await support.getTicket(.with { $0.ticketId = ticket.id })
            XCTAssertEqual(read.messages.count, 3, name)
            let audited = try await store.read { tx in
                try tx.query("SELECT actor FROM audit_log WHERE action = 'health_data.read' AND resource = $1", [.text(ticket.id)])
            }
            XCTAssertEqual(try audited.map { try $0.string("actor") }, [agent.id], name)
            let actions = try await store.read { tx in
                try tx.query("SELECT action FROM audit_log WHERE resource = $1 ORDER BY seq", [.text(ticket.id)]).map { try $0.string("action") }
            }
            XCTAssertEqual(actions, ["ticket.opened", "ticket.assigned", "ticket.replied", "ticket.replied", "health_data.read"], name)
            await agent.channel.close()
            await deployment.stop()
        }
    }

    func testADelayReplyOnADispatchedOrderGivesItsTrackingNumberAndEstimatedDelivery() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let prescriber = try await deployment.signInStaff("dr-delay", role: .prescriber)
            let pharmacist = try await deployment.signInStaff("ph-delay", role: .pharmacist)
            let (customer, order, shipment) = try await deployment.dispatchedOrder("late@example.org", prescriber: prescriber, pharmacist: pharmacist)
            let ticket = try await deployment.support.openTicket(openRequest(order: order), metadata: customer.metadata)
            let agent = try await deployment.signInStaff("agent-fay", role: .admin)
            let replied = try await Medexpress_V1_SupportServiceClient(channel: agent.channel).reply(.with {
                $0.requestId = "reply-1"
                $0.ticketId = ticket.id
                $0.template = "delivery_delay"
            })
            let text = replied.messages.last?.text ?? ""
            XCTAssertTrue(text.contains("order \(order) is taking longer"), "\(name): \(text)")
            XCTAssertTrue(text.contains("on its way with Royal Mail"), "\(name): \(text)")
            XCTAssertTrue(text.contains("Tracking number: \(shipment.trackingNumber)"), "\(name): \(text)")
            XCTAssertTrue(text.contains("Estimated delivery: "), "\(name): \(text)")
            let refund = await failure { _ = try await Medexpress_V1_SupportServiceClient(channel: agent.channel).reply(.with {
                $0.requestId = "reply-2"
                $0.ticketId = ticket.id
                $0.template = "refund_processed"
            }) }
            XCTAssertEqual(refund?.code, .failedPrecondition, "\(name): nothing was refunded")
            await agent.channel.close()
            await pharmacist.channel.close()
            await prescriber.channel.close()
            await deployment.stop()
        }
    }

    func testAnEscalatedQueryIsAnsweredByAPrescriberForTheAgentAndNotTheCustomer() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let (customer, order) = try await orderedCustomer(deployment, "dizzy@example.org")
            let ticket = try await deployment.support.openTicket(.with {
                $0.requestId = "open-side-effects"
                $0.category = .ticketSideEffects
                $0.subject = "Feeling dizzy"
                $0.message = "I feel dizzy an hour after each tablet. Should I carry on?"
                $0.orderId = order
            }, metadata: customer.metadata)
            let agent = try await deployment.signInStaff("agent-ben", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)
            let prescriber = try await deployment.signInStaff("dr-query", role: .prescriber)

            let escalated = try await support.escalate(.with {
                $0.requestId = "escalate-1"
                $0.ticketId = ticket.id
                $0.target = .escalateToPrescriber
                $0.note = "Dizziness after sildenafil: can they continue at this dose?"
            })
            XCTAssertEqual(escalated.state, .ticketEscalated, name)
            XCTAssertEqual(escalated.escalatedTo, .escalateToPrescriber, name)
            XCTAssertEqual(escalated.messages.last?.internal, true, name)
            let twice = await failure { _ = try await support.escalate(.with {
                $0.requestId = "escalate-2"
                $0.ticketId = ticket.id
                $0.target = .escalateToPharmacy
                $0.note = "again"
            }) }
            XCTAssertEqual(twice?.code, .failedPrecondition, name)
            XCTAssertTrue(twice?.message.contains("ESCALATED") ?? false, "\(name): \(twice?.message ?? "")")

            let queries = try await prescriber.prescriber.listQueries(.init())
            XCTAssertEqual(queries.queries.map(\.ticketId), [ticket.id], name)
            XCTAssertEqual(queries.queries.first?.orderId, order, name)
            XCTAssertEqual(queries.queries.first?.subject, "Feeling dizzy", name)
            XCTAssertEqual(queries.queries.first?.messages.map(\.internal), [false, true], name)
            XCTAssertNotNil(queries.queries.first?.escalatedAt, name)
            let reads = try await store.read { tx in
                try tx.query("SELECT actor FROM audit_log WHERE action = 'health_data.read' AND resource = $1", [.text(ticket.id)])
            }
            XCTAssertEqual(try reads.map { try $0.string("actor") }, [prescriber.id], name)

            let answer = Medexpress_V1_AnswerQueryRequest.with {
                $0.requestId = "answer-1"
                $0.ticketId = ticket.id
                $0.answer = "Mild dizziness is common; advise sitting down after taking it and to stop if it persists beyond a week."
            }
            let answered = try await prescriber.prescriber.answerQuery(answer)
            XCTAssertEqual(answered.ticketId, ticket.id, name)
            XCTAssertNotNil(answered.answeredAt, name)
            let retried = try await prescriber.prescriber.answerQuery(answer)
            XCTAssertEqual(retried, answered, "\(name): a retry gets the same answer back")
            let stillQueued = try await prescriber.prescriber.listQueries(.init()).queries.isEmpty
            XCTAssertTrue(stillQueued, name)
            let late = await failure { _ = try await prescriber.prescriber.answerQuery(.with {
                $0.requestId = "answer-2"
                $0.ticketId = ticket.id
                $0.answer = "Another thought."
            }) }
            XCTAssertEqual(late?.code, .failedPrecondition, name)
            XCTAssertTrue(late?.message.contains("OPEN") ?? false, "\(name): \(late?.message ?? "")")

            // The agent sees the prescriber's answer; the customer does not.
            let seen = try await support.getTicket(.with { $0.ticketId = ticket.id })
            XCTAssertEqual(seen.state, .ticketOpen, name)
            XCTAssertEqual(seen.messages.last?.authorRole, .prescriber, name)
            XCTAssertEqual(seen.messages.last?.authorId, prescriber.id, name)
            XCTAssertEqual(seen.messages.last?.internal, true, name)
            XCTAssertTrue(seen.messages.last?.text.hasPrefix("Mild dizziness") ?? false, name)
            let customerView = try await TestChat(deployment.support, metadata: customer.metadata, ticket: ticket.id)
            let customerViewEnd = try await customerView.finish()?.code
            XCTAssertEqual(customerViewEnd, .ok, name)
            XCTAssertEqual(customerView.messages.map(\.sequence), [1], "\(name): internal notes never reach the customer")

            _ = try await support.reply(.with {
                $0.requestId = "reply-1"
                $0.ticketId = ticket.id
                $0.template = "side_effect_guidance"
            })
            let resolved = try await support.resolveTicket(.with {
                $0.requestId = "resolve-1"
                $0.ticketId = ticket.id
                $0.resolution = "Advice from the prescriber passed on."
            })
            XCTAssertEqual(resolved.state, .ticketResolved, name)
            XCTAssertNotNil(resolved.resolvedAt, name)
            XCTAssertEqual(resolved.messages.last?.internal, true, name)
            let stillOpen = try await support.listTickets(.with { $0.states = [.ticketOpen, .ticketEscalated] }).tickets.isEmpty
            XCTAssertTrue(stillOpen, name)
            let resolvedTickets = try await support.listTickets(.with { $0.states = [.ticketResolved] }).tickets.map(\.id)
            XCTAssertEqual(resolvedTickets, [ticket.id], name)
            await agent.channel.close()
            await prescriber.channel.close()
            await deployment.stop()
        }
    }

    func testBothSidesOfAChatSeeEachOthersMessagesLiveAndAReconnectCatchesUp() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let (customer, order) = try await orderedCustomer(deployment, "chatty@example.org")
            let ticket = try await deployment.support.openTicket(openRequest(order: order), metadata: customer.metadata)
            let agent = try await deployment.signInStaff("agent-cat", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)

            let customerChat = try await TestChat(deployment.support, metadata: customer.metadata, ticket: ticket.id)
            let agentChat = try await TestChat(support, ticket: ticket.id)
            let customerOpening = try await customerChat.messages(count: 1).map(\.sequence)
            XCTAssertEqual(customerOpening, [1], name)
            let agentOpening = try await agentChat.messages(count: 1).map(\.sequence)
            XCTAssertEqual(agentOpening, [1], name)

            try await customerChat.say("Hello, is anyone there?")
            let echoed = try await customerChat.messages(count: 2)
            XCTAssertEqual(echoed.last?.sequence, 2, "\(name): the echo acknowledges the message with its sequence")
            XCTAssertEqual(echoed.last?.authorId, customer.id, name)
            let agentSees = try await agentChat.messages(count: 2).last?.text
            XCTAssertEqual(agentSees, "Hello, is anyone there?", name)

            try await agentChat.say("Yes, I am looking at your order now.")
            let customerSees = try await customerChat.messages(count: 3).last?.text
            XCTAssertEqual(customerSees, "Yes, I am looking at your order now.", name)
            let customerSeesRole = try await customerChat.messages(count: 3).last?.authorRole
            XCTAssertEqual(customerSeesRole, .admin, name)
            let agentEcho = try await agentChat.messages(count: 3).last?.sequence
            XCTAssertEqual(agentEcho, 3, name)
            let customerLeft = try await customerChat.finish()?.code
            XCTAssertEqual(customerLeft, .ok, name)
            let lastSeen = try XCTUnwrap(customerChat.messages.last?.sequence, name)

            // While the customer is away: two messages for them and an internal note that is not.
            try await agentChat.say("It left the pharmacy this morning.")
            try await agentChat.say("You should have it tomorrow.")
            let agentSeesAll = try await agentChat.messages(count: 5).map(\.sequence)
            XCTAssertEqual(agentSeesAll, [1, 2, 3, 4, 5], name)
            _ = try await support.escalate(.with {
                $0.requestId = "escalate-chat"
                $0.ticketId = ticket.id
                $0.target = .escalateToPharmacy
                $0.note = "Please confirm the parcel was collected."
            })
            let agentSeesNote = try await agentChat.messages(count: 6).last?.sequence
            XCTAssertEqual(agentSeesNote, 6, "\(name): staff see internal notes live")

            let back = try await TestChat(deployment.support, metadata: customer.metadata, ticket: ticket.id, after: lastSeen)
            let backEnd = try await back.finish()?.code
            XCTAssertEqual(backEnd, .ok, name)
            XCTAssertEqual(back.messages.map(\.sequence), [4, 5], "\(name): exactly what was missed, without the internal note")
            XCTAssertEqual(back.messages.map(\.text), ["It left the pharmacy this morning.", "You should have it tomorrow."], name)
            let agentLeft = try await agentChat.finish()?.code
            XCTAssertEqual(agentLeft, .ok, name)

            let chatted = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'ticket.message' AND resource = $1", [.text(ticket.id)])
                    .first?.int64("n")
            }
            XCTAssertEqual(chatted, 4, "\(name): one audit entry per chat message")
            let first = try await support.getTicket(.with { $0.ticketId = ticket.id })
            XCTAssertNotNil(first.firstResponseAt, "\(name): the agent's chat answer is a response")
            await agent.channel.close()
            await deployment.stop()
        }
    }

    func testACustomerMessageBringsBackAWaitingOrResolvedTicketWhileStaffMayNotWriteOnAResolvedOne() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let (customer, order) = try await orderedCustomer(deployment, "again@example.org")
            let ticket = try await deployment.support.openTicket(openRequest(order: order), metadata: customer.metadata)
            let agent = try await deployment.signInStaff("agent-dev", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)
            let waiting = try await support.reply(.with {
                $0.requestId = "reply-1"
                $0.ticketId = ticket.id
                $0.text = "Could you confirm your postcode?"
                $0.awaitCustomer = true
            })
            XCTAssertEqual(waiting.state, .ticketPendingCustomer, name)
            try await say("LS1 4AP", on: ticket.id, as: customer, deployment)
            let afterAnswer = try await support.getTicket(.with { $0.ticketId = ticket.id }).state
            XCTAssertEqual(afterAnswer, .ticketOpen, name)

            _ = try await support.resolveTicket(.with {
                $0.requestId = "resolve-1"
                $0.ticketId = ticket.id
                $0.resolution = "Address confirmed."
            })
            for refused in [
                await failure { _ = try await support.reply(.with { $0.requestId = "reply-2"; $0.ticketId = ticket.id; $0.text = "One more thing" }) },
                await failure { _ = try await support.escalate(.with {
                    $0.requestId = "escalate-1"
                    $0.ticketId = ticket.id
                    $0.target = .escalateToPrescriber
                    $0.note = "late"
                }) },
                await failure { _ = try await support.resolveTicket(.with { $0.requestId = "resolve-2"; $0.ticketId = ticket.id; $0.resolution = "again" }) },
                await failure { _ = try await support.assignTicket(.with { $0.requestId = "assign-1"; $0.ticketId = ticket.id }) },
            ] {
                XCTAssertEqual(refused?.code, .failedPrecondition, name)
                XCTAssertTrue(refused?.message.hasPrefix("ticket is RESOLVED") ?? false, "\(name): \(refused?.message ?? "")")
            }
            let staffChat = try await TestChat(support, ticket: ticket.id)
            try await staffChat.say("Anything else?")
            let staffOnResolved = try await staffChat.end()?.code
            XCTAssertEqual(staffOnResolved, .failedPrecondition, name)

            try await say("Actually, the box was damaged.", on: ticket.id, as: customer, deployment)
            let reopened = try await support.getTicket(.with { $0.ticketId = ticket.id })
            XCTAssertEqual(reopened.state, .ticketOpen, "\(name): the customer's message reopens it")
            XCTAssertNil(reopened.resolvedAt, name)
            await agent.channel.close()
            await deployment.stop()
        }
    }

    func testAPhoneCallIsLoggedForTheCustomerAndLimitsAreKept() async throws {
        try await TestDatabases.each { store, name in
            let deployment = try await TestDeployment.start(on: store, pki: try TestPKI())
            let (customer, order) = try await orderedCustomer(deployment, "caller@example.org")
            let agent = try await deployment.signInStaff("agent-eve", role: .admin)
            let support = Medexpress_V1_SupportServiceClient(channel: agent.channel)
            let call = Medexpress_V1_LogTicketRequest.with {
                $0.requestId = "call-1"
                $0.customerId = customer.id
                $0.channel = .phone
                $0.category = .ticketOrder
                $0.subject = "Change of delivery day"
                $0.message = "Called to ask whether the parcel can come on Saturday."
                $0.orderId = order
            }
            let logged = try await support.logTicket(call)
            XCTAssertEqual(logged.channel, .phone, name)
            XCTAssertEqual(logged.messages.first?.authorId, agent.id, name)
            XCTAssertNil(logged.firstResponseAt, "\(name): noting a call is not a reply")
            let customersTickets = try await deployment.support.listMyTickets(.init(), metadata: customer.metadata).tickets.map(\.id)
            XCTAssertEqual(customersTickets, [logged.id], name)
            var form = call
            form.requestId = "call-2"
            form.channel = .contactForm
            let fromTheForm = await failure { _ = try await support.logTicket(form) }?.code
            XCTAssertEqual(fromTheForm, .invalidArgument, name)
            var stranger = call
            stranger.requestId = "call-3"
            stranger.customerId = "cus_" + String(repeating: "b", count: 26)
            let noSuchCustomer = await failure { _ = try await support.logTicket(stranger) }?.code
            XCTAssertEqual(noSuchCustomer, .notFound, name)

            // Chat: the opening names the ticket only; a message is at most 2,000 characters.
            let chatty = try await TestChat(deployment.support, metadata: customer.metadata, ticket: logged.id)
            try await chatty.say(String(repeating: "a", count: 2001))
            let tooLong = try await chatty.end()?.code
            XCTAssertEqual(tooLong, .invalidArgument, name)
            let raw = try await deployment.support.chat(metadata: customer.metadata)
            try await raw.send(.with { $0.ticketId = logged.id; $0.text = "text first" })
            try await raw.closeSend()
            let refused = await failure { for try await _ in raw {} }
            XCTAssertEqual(refused?.code, .invalidArgument, name)

            // At most 30 messages a minute per caller.
            let flood = try await TestChat(deployment.support, metadata: customer.metadata, ticket: logged.id)
            for number in 1...40 { try? await flood.say("message \(number)") }
            let ended = try await flood.end()
            XCTAssertEqual(ended?.code, .resourceExhausted, name)
            XCTAssertTrue(ended?.message.contains("30") ?? false, "\(name): \(ended?.message ?? "")")
            let written = try await store.read { tx in
                try tx.query("SELECT COUNT(*) AS n FROM ticket_messages WHERE author_id = $1", [.text(customer.id)]).first?.int64("n")
            }
            XCTAssertEqual(written, 30, name)
            await agent.channel.close()
            await deployment.stop()
        }
    }

    // MARK: Steps

    private func orderedCustomer(_ deployment: TestDeployment, _ email: String) async throws -> (TestCustomer, String) {
        let customer = try await deployment.signUp(email)
        let consultation = try await deployment.consult(customer, "erectile-dysfunction")
        let order = try await deployment.checkout(customer, consultation.id, product: "sildenafil-25mg-4")
        return (customer, order.id)
    }

    private func openRequest(order: String, requestID: String = TestDeployment.requestID()) -> Medexpress_V1_OpenTicketRequest {
        .with {
            $0.requestId = requestID
            $0.category = .ticketDelivery
            $0.subject = "Where is my parcel?"
            $0.message = "I ordered on Monday and nothing has arrived yet."
            $0.orderId = order
        }
    }

    /// The customer writes `text` in the ticket's chat and leaves once it is acknowledged.
    private func say(_ text: String, on ticket: String, as customer: TestCustomer, _ deployment: TestDeployment) async throws {
        let chat = try await TestChat(deployment.support, metadata: customer.metadata, ticket: ticket)
        try await chat.say(text)
        _ = try await chat.finish()
        XCTAssertEqual(chat.messages.last?.text, text)
    }

    func testACustomerStartsAChatWithoutATicketAndTheTeamSeesItAsAChatTicket() async throws {
        try await TestDatabases.each { store, name in
            let pki = try TestPKI()
            let deployment = try await TestDeployment.start(on: store, pki: pki)
            let agent = try await deployment.signInStaff("agent-chat-open", role: .admin)
            let customer = try await deployment.signUp("chatty@example.org")
            let chat = try await TestChat(deployment.support, metadata: customer.metadata, first: .with {
                $0.text = "Hello, can I take my inhaler with ibuprofen?"
            })
            let echoed = try await chat.messages(count: 1)
            let ticketID = echoed.first?.ticketId ?? ""
            XCTAssertTrue(ticketID.hasPrefix("tkt_"), "\(name): \(echoed)")
            XCTAssertEqual(echoed.first?.sequence, 1, name)
            XCTAssertEqual(echoed.first?.text, "Hello, can I take my inhaler with ibuprofen?", name)
            _ = try await chat.finish()
            let listed = try await Medexpress_V1_SupportServiceClient(channel: agent.channel).listTickets(.init())
            let ticket = listed.tickets.first { $0.id == ticketID }
            XCTAssertEqual(ticket?.channel, .chat, name)
            XCTAssertEqual(ticket?.customerId, customer.id, name)
            XCTAssertTrue(ticket?.subject.hasPrefix("Chat: Hello") ?? false, name)
            await agent.channel.close()
            await deployment.stop()
        }
    }
}
