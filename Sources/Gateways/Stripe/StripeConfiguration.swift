/// How to reach Stripe: the account's secret key, the API base URL and version, retries, and the
/// HTTP client's limits and trust roots.
public struct StripeConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// Stripe's API.
    public static let defaultBaseURL = "https://api.stripe.com"
    /// The API version every request pins (`Stripe-Version`), so an account upgrade in the
    /// dashboard cannot change the responses under us.
    public static let pinnedAPIVersion = "2024-06-20"

    /// The secret (`sk_…`) or restricted (`rk_…`) key; sent as `Authorization: Bearer`.
    public var secretKey: String
    /// `https://api.stripe.com`, or a loopback stand-in in tests.
    public var baseURL: String
    /// The `Stripe-Version` header value.
    public var apiVersion: String
    /// Most retries after the first attempt when Stripe is unavailable (network, timeout, 429,
    /// 5xx); each retry sends the same idempotency key, so Stripe does the work once.
    public var maxRetries: Int
    /// The wait before the first retry; each later retry waits twice as long.
    public var retryBackoffMilliseconds: Int
    /// Timeouts, size limits, threads, and the CA file verifying the server (nil: system roots).
    public var http: HTTPClientConfiguration

    /// Stripe's own recommendation is a generous read timeout: a card authorisation waits on the
    /// issuing bank.
    public init(secretKey: String, baseURL: String = StripeConfiguration.defaultBaseURL,
                trustRootsFile: String? = nil, apiVersion: String = StripeConfiguration.pinnedAPIVersion,
                maxRetries: Int = 2, retryBackoffMilliseconds: Int = 500,
                http: HTTPClientConfiguration = HTTPClientConfiguration(connectTimeoutMilliseconds: 10_000,
                                                                        readTimeoutMilliseconds: 60_000,
                                                                        requestTimeoutMilliseconds: 80_000)) {
        self.secretKey = secretKey
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.maxRetries = maxRetries
        self.retryBackoffMilliseconds = retryBackoffMilliseconds
        var http = http
        if let trustRootsFile { http.trustRootsFile = trustRootsFile }
        self.http = http
    }

    /// The configuration with the secret key masked, fit for logs.
    public var description: String {
        let shown = secretKey.count > 12 ? secretKey.prefix(8) + "…" + secretKey.suffix(4) : "…"
        return "StripeConfiguration(baseURL: \(baseURL), secretKey: \(shown), apiVersion: \(apiVersion), maxRetries: \(maxRetries))"
    }
}
