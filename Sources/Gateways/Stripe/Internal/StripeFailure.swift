import Domain

/// A failed Stripe call: the error for the caller, and whether sending the same request again
/// (same idempotency key) may succeed.
struct StripeFailure: Error {
    let error: PaymentError
    let isRetryable: Bool

    init(_ error: PaymentError, isRetryable: Bool) {
        self.error = error
        self.isRetryable = isRetryable
    }

    /// The request never got a response (or the response was cut off).
    init(transport failure: HTTPClientError, host: String) {
        self.init(.unavailable("cannot reach Stripe at \(host): \(failure)"), isRetryable: failure.isTransient)
    }

    /// A response whose body does not have the shape Stripe documents.
    init(unexpected failure: JSONError, operation: String) {
        self.init(.unavailable("Stripe's response to \(operation) is not what its API documents: \(failure)"),
                  isRetryable: false)
    }

    /// A non-2xx response, from its status and Stripe's error object
    /// (`{"error": {"type", "code", "decline_code", "message"}}`, https://docs.stripe.com/api/errors).
    init(response: HTTPResponse, operation: String) {
        let status = response.statusCode
        var type: String?
        var code: String?
        var declineCode: String?
        var message: String?
        if let value = try? JSONParser.parse(response.bodyText), case .object(let root) = value,
           case .object(let error)? = root["error"] {
            func text(_ key: String) -> String? {
                if case .string(let string)? = error[key], !string.isEmpty { return string }
                return nil
            }
            type = text("type")
            code = text("code")
            declineCode = text("decline_code")
            message = text("message")
        }
        let explanation = message ?? "HTTP \(status) \(response.reasonPhrase)"
        // Stripe says itself whether a retry can help (Stripe-Should-Retry); otherwise only
        // rate limiting and server failures are worth repeating.
        let shouldRetry = response.headerValue("Stripe-Should-Retry").map { $0 == "true" } ?? (status == 429 || status >= 500)

        switch status {
        case _ where status == 402 || type == "card_error":
            self.init(.declined(code: declineCode ?? code ?? "card_declined", reason: message ?? "Your card was declined."),
                      isRetryable: false)
        case 401, 403:
            // An operator error, not the customer's: the server's configured key is wrong or revoked.
            self.init(.unavailable("Stripe rejected the API key (HTTP \(status)): \(explanation). Check the configured Stripe secret key."),
                      isRetryable: false)
        case 409:
            self.init(.rejected("Stripe refused \(operation): a request with the same idempotency key conflicts (\(explanation))"),
                      isRetryable: shouldRetry)
        case 429:
            self.init(.unavailable("Stripe is rate limiting requests (HTTP 429): \(explanation)"), isRetryable: shouldRetry)
        case 500...:
            self.init(.unavailable("Stripe failed on \(operation) (HTTP \(status)): \(explanation)"), isRetryable: shouldRetry)
        case 400..<500:
            if type == "idempotency_error" {
                self.init(.rejected("Stripe refused \(operation): the idempotency key was used before with other parameters (\(explanation))"),
                          isRetryable: false)
            } else {
                self.init(.rejected(explanation), isRetryable: false)
            }
        default:
            self.init(.unavailable("Stripe answered \(operation) with an unexpected HTTP \(status)"), isRetryable: false)
        }
    }
}
