/// One of Stripe's documented test payment methods (https://docs.stripe.com/testing), as the
/// local gateway plays it: the card behind the token and what its issuer answers.
public struct LocalTestCard: Sendable, Hashable {
    /// What the issuer answers to an authorisation.
    public enum Outcome: Sendable, Hashable {
        /// The hold is placed.
        case approved
        /// Declined with Stripe's decline code and customer-facing message.
        case declined(code: String, reason: String)
    }

    /// The payment-method token a client sends ("pm_card_visa").
    public let token: String
    /// The test card number behind the token; equal numbers share a fingerprint.
    public let cardNumber: String
    public let outcome: Outcome

    /// A test card; `all` lists Stripe's.
    public init(token: String, cardNumber: String, outcome: Outcome) {
        self.token = token
        self.cardNumber = cardNumber
        self.outcome = outcome
    }

    /// The card's fingerprint: stable for a card number, like Stripe's, so two tokens for the
    /// same card (or two customers using it) give the same value.
    public var fingerprint: String {
        // FNV-1a, 64-bit: stable across runs and processes (unlike Hasher).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in cardNumber.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "fp_local_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    private static let declined = "Your card was declined."

    /// Stripe's test payment methods the local gateway knows; any other token is refused as
    /// Stripe refuses an unknown PaymentMethod.
    public static let all: [LocalTestCard] = [
        LocalTestCard(token: "pm_card_visa", cardNumber: "4242424242424242", outcome: .approved),
        LocalTestCard(token: "pm_card_visa_debit", cardNumber: "4000056655665556", outcome: .approved),
        LocalTestCard(token: "pm_card_mastercard", cardNumber: "5555555555554444", outcome: .approved),
        LocalTestCard(token: "pm_card_mastercard_debit", cardNumber: "5200828282828210", outcome: .approved),
        LocalTestCard(token: "pm_card_amex", cardNumber: "378282246310005", outcome: .approved),
        LocalTestCard(token: "pm_card_gb", cardNumber: "4000008260000000", outcome: .approved),
        LocalTestCard(token: "pm_card_chargeDeclined", cardNumber: "4000000000000002",
                      outcome: .declined(code: "generic_decline", reason: declined)),
        LocalTestCard(token: "pm_card_visa_chargeDeclined", cardNumber: "4000000000000002",
                      outcome: .declined(code: "generic_decline", reason: declined)),
        LocalTestCard(token: "pm_card_chargeDeclinedInsufficientFunds", cardNumber: "4000000000009995",
                      outcome: .declined(code: "insufficient_funds", reason: "Your card has insufficient funds.")),
        LocalTestCard(token: "pm_card_visa_chargeDeclinedInsufficientFunds", cardNumber: "4000000000009995",
                      outcome: .declined(code: "insufficient_funds", reason: "Your card has insufficient funds.")),
        LocalTestCard(token: "pm_card_chargeDeclinedLostCard", cardNumber: "4000000000009987",
                      outcome: .declined(code: "lost_card", reason: declined)),
        LocalTestCard(token: "pm_card_chargeDeclinedStolenCard", cardNumber: "4000000000009979",
                      outcome: .declined(code: "stolen_card", reason: declined)),
        LocalTestCard(token: "pm_card_chargeDeclinedFraudulent", cardNumber: "4100000000000019",
                      outcome: .declined(code: "fraudulent", reason: declined)),
        LocalTestCard(token: "pm_card_chargeDeclinedExpiredCard", cardNumber: "4000000000000069",
                      outcome: .declined(code: "expired_card", reason: "Your card has expired.")),
        LocalTestCard(token: "pm_card_chargeDeclinedIncorrectCvc", cardNumber: "4000000000000127",
                      outcome: .declined(code: "incorrect_cvc", reason: "Your card's security code is incorrect.")),
        LocalTestCard(token: "pm_card_chargeDeclinedProcessingError", cardNumber: "4000000000000119",
                      outcome: .declined(code: "processing_error",
                                         reason: "An error occurred while processing your card. Try again in a little bit.")),
    ]

    /// The card for `token`, or nil when Stripe would not know it.
    public static func named(_ token: String) -> LocalTestCard? {
        all.first { $0.token == token }
    }
}
