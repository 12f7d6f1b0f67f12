import Domain
import XCTest

/// How a support ticket moves: a customer is always heard, staff never write on a resolved
/// ticket, and an escalation waits for its answer.
final class TicketStateTests: XCTestCase {
    func testACustomerMessagePutsAWaitingOrResolvedTicketBackWithTheTeam() throws {
        XCTAssertEqual(try TicketState.pendingCustomer.applying(.customerMessage), .open)
        XCTAssertEqual(try TicketState.resolved.applying(.customerMessage), .open)
        XCTAssertEqual(try TicketState.escalated.applying(.customerMessage), .escalated)
    }

    func testAReplyWaitsForTheCustomerOnlyWhenAsked() throws {
        XCTAssertEqual(try TicketState.open.applying(.staffReply(awaitingCustomer: true)), .pendingCustomer)
        XCTAssertEqual(try TicketState.pendingCustomer.applying(.staffReply(awaitingCustomer: false)), .open)
        XCTAssertEqual(try TicketState.escalated.applying(.staffReply(awaitingCustomer: false)), .escalated)
    }

    func testAnEscalationIsAnsweredOnceAndGoesBackToTheTeam() throws {
        XCTAssertEqual(try TicketState.open.applying(.escalate), .escalated)
        XCTAssertEqual(try TicketState.escalated.applying(.answerEscalation), .open)
        XCTAssertThrowsError(try TicketState.open.applying(.answerEscalation))
    }

    func testStepsThatMakeNoSenseAreRefusedNamingTheState() {
        let refused: [(TicketState, TicketEvent)] = [
            (.resolved, .staffReply(awaitingCustomer: false)), (.resolved, .staffChatMessage), (.resolved, .assign),
            (.resolved, .escalate), (.resolved, .resolve), (.escalated, .escalate), (.escalated, .staffReply(awaitingCustomer: true)),
            (.pendingCustomer, .answerEscalation),
        ]
        for (state, event) in refused {
            XCTAssertThrowsError(try state.applying(event), "\(state) \(event)") { error in
                XCTAssertTrue(String(describing: error).hasPrefix("ticket is \(state.rawValue): "), String(describing: error))
            }
        }
    }
}
