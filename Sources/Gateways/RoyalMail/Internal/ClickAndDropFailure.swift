import Domain

/// A failed Click & Drop call: the error for the caller, whether trying again may succeed, and
/// how long the server asked us to wait.
struct ClickAndDropFailure: Error {
    let error: CourierError
    let isRetryable: Bool
    /// `Retry-After` of a 429 or 503, in milliseconds.
    let retryAfterMilliseconds: Int?

    init(_ error: CourierError, isRetryable: Bool, retryAfterMilliseconds: Int? = nil) {
        self.error = error
        self.isRetryable = isRetryable
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    /// The request never got a response (or the response was cut off).
    init(transport failure: HTTPClientError, host: String) {
        self.init(.unavailable("cannot reach Royal Mail Click & Drop at \(host): \(failure)"), isRetryable: failure.isTransient)
    }

    /// A response whose body does not have the shape Click & Drop documents.
    init(unexpected failure: JSONError, operation: String) {
        self.init(.unavailable("Click & Drop's response to \(operation) is not what its API documents: \(failure)"),
                  isRetryable: false)
    }

    /// A non-2xx response, from its status and Click & Drop's `ErrorResponse` (`{"code", "message", "details"}`).
    init(response: HTTPResponse, operation: String) {
        let status = response.statusCode
        var explanation = "HTTP \(status) \(response.reasonPhrase)"
        if let value = try? JSONParser.parse(response.bodyText), case .object(let root) = value,
           case .string(let message)? = root["message"], !message.isEmpty {
            explanation = message
            if case .string(let details)? = root["details"], !details.isEmpty { explanation += " (\(details))" }
        }
        let retryAfter = response.headerValue("Retry-After").flatMap { Int($0) }.map { $0 * 1000 }
        switch status {
        case 401, 403:
            // An operator error, not the customer's: the configured key is wrong, revoked or lacks the API.
            self.init(.unavailable("Royal Mail Click & Drop refused the API key (HTTP \(status)) while \(operation): \(explanation). Check the configured Click & Drop API key (Click & Drop › Settings › Integrations › Click & Drop API)."),
                      isRetryable: false)
        case 429:
            self.init(.unavailable("Click & Drop is rate limiting requests (HTTP 429) while \(operation): \(explanation)"),
                      isRetryable: true, retryAfterMilliseconds: retryAfter)
        case 500...:
            self.init(.unavailable("Click & Drop failed while \(operation) (HTTP \(status)): \(explanation)"),
                      isRetryable: true, retryAfterMilliseconds: retryAfter)
        case 404:
            self.init(.unavailable("Click & Drop has no such endpoint for \(operation) (HTTP 404): check the configured base URL"),
                      isRetryable: false)
        case 400..<500:
            self.init(.rejected("Click & Drop refused \(operation): \(explanation)"), isRetryable: false)
        default:
            self.init(.unavailable("Click & Drop answered \(operation) with an unexpected HTTP \(status)"), isRetryable: false)
        }
    }
}
