/// How to reach Royal Mail Click & Drop: the account's API key, the API base URL, retries, and
/// the HTTP client's limits and trust roots.
public struct RoyalMailConfiguration: Sendable, Hashable {
    /// Click & Drop's API (https://api.parcel.royalmail.com).
    public static let defaultBaseURL = "https://api.parcel.royalmail.com/api/v1"

    /// The key from Click & Drop › Settings › Integrations › Click & Drop API; sent as
    /// `Authorization: Bearer`.
    public var apiKey: String
    /// `https://api.parcel.royalmail.com/api/v1`, or a loopback stand-in in tests.
    public var baseURL: String
    /// Most retries after the first attempt when Click & Drop is unavailable (network, timeout,
    /// 429, 5xx); every attempt looks the parcel up by reference first, so none books twice.
    public var maxRetries: Int
    /// The wait before the first retry; each later retry waits twice as long.
    public var retryBackoffMilliseconds: Int
    /// The least time between the starts of two calls: Click & Drop allows one call a second on a
    /// Click & Drop account (five on ChannelShipper) and answers 429 beyond it; a booking makes two
    /// or three calls.
    public var minimumCallIntervalMilliseconds: Int
    /// Timeouts, size limits, threads, and the CA file verifying the server (nil: system roots).
    /// Responses carry the label as base64 PDF, so the body limit is larger than the client's default.
    public var http: HTTPClientConfiguration

    public init(apiKey: String, baseURL: String = RoyalMailConfiguration.defaultBaseURL, trustRootsFile: String? = nil,
                maxRetries: Int = 2, retryBackoffMilliseconds: Int = 1_000, minimumCallIntervalMilliseconds: Int = 1_000,
                http: HTTPClientConfiguration = HTTPClientConfiguration(connectTimeoutMilliseconds: 10_000,
                                                                        readTimeoutMilliseconds: 30_000,
                                                                        requestTimeoutMilliseconds: 60_000,
                                                                        maxResponseBodyBytes: 4 * 1024 * 1024)) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.maxRetries = maxRetries
        self.retryBackoffMilliseconds = retryBackoffMilliseconds
        self.minimumCallIntervalMilliseconds = minimumCallIntervalMilliseconds
        var http = http
        if let trustRootsFile { http.trustRootsFile = trustRootsFile }
        self.http = http
    }
}
