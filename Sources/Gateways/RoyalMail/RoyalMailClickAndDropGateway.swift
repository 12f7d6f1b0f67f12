import Domain
import Glibc
import Synchronization

/// The courier seam on Royal Mail Click & Drop's REST API (https://api.parcel.royalmail.com,
/// "ChannelShipper & Royal Mail Public API" v1): one order per parcel, created by `POST /orders`
/// with its label asked for in the response, a Bearer API key.
///
/// Idempotency: Click & Drop takes no idempotency key and does not document `orderReference` as
/// unique, so a create whose answer was lost could simply be created again. Every attempt
/// therefore first looks the parcel up by our reference (`GET /orders/{orderIdentifiers}`, which
/// takes order references percent-encoded inside double quotes) and books only when Click & Drop
/// holds none; a booking Click & Drop refuses is looked up once more, in case another attempt
/// created it in between. What remains — two callers booking one reference at the same instant —
/// the caller rules out by booking each shipment once under its own request idempotency key.
/// A reference booked earlier returns that booking, whatever the new request says.
public final class RoyalMailClickAndDropGateway: CourierGateway {
    /// The longest wait between attempts, whatever the backoff or `Retry-After` says.
    public static let maxRetryWaitMilliseconds = 10_000

    private let configuration: RoyalMailConfiguration
    private let baseURL: HTTPURL
    private let client: HTTPClient
    /// When the next call may start, so calls keep `minimumCallIntervalMilliseconds` apart.
    private let nextCallSlot = Mutex(ContinuousClock.now)

    /// A gateway with its HTTP client started; the key, URL and CA file are checked now.
    public init(configuration: RoyalMailConfiguration) throws(HTTPClientError) {
        let key = configuration.apiKey
        guard !key.isEmpty, key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .invalidConfiguration("the Click & Drop API key must be printable ASCII without spaces (Click & Drop › Settings › Integrations › Click & Drop API)")
        }
        guard configuration.maxRetries >= 0, configuration.retryBackoffMilliseconds >= 0,
              configuration.minimumCallIntervalMilliseconds >= 0 else {
            throw .invalidConfiguration("maxRetries, retryBackoffMilliseconds and minimumCallIntervalMilliseconds cannot be negative")
        }
        let url = try HTTPURL(parsing: configuration.baseURL)
        guard url.isSecure || url.address.isLoopback else {
            throw .invalidURL("plain http is allowed only to loopback hosts; Click & Drop is https (\(configuration.baseURL))")
        }
        self.configuration = configuration
        self.baseURL = url
        self.client = try HTTPClient(configuration: configuration.http)
    }

    public func createShipment(_ request: ShipmentRequest) async throws(CourierError) -> CreatedShipment {
        let order = try ClickAndDropOrder(request, orderDate: Self.currentTimeISO8601())
        var retries = 0
        while true {
            let failure: ClickAndDropFailure
            do throws(ClickAndDropFailure) {
                return try await book(order, reference: request.reference)
            } catch {
                failure = error
            }
            guard failure.isRetryable, retries < configuration.maxRetries else { throw failure.error }
            let backoff = configuration.retryBackoffMilliseconds << min(retries, 16)
            retries += 1
            do {
                try await Task.sleep(for: .milliseconds(min(max(backoff, failure.retryAfterMilliseconds ?? 0),
                                                            Self.maxRetryWaitMilliseconds)))
            } catch {
                throw failure.error
            }
        }
    }

    /// One attempt: the booking Click & Drop already holds for `reference`, or a new one.
    private func book(_ order: ClickAndDropOrder, reference: String) async throws(ClickAndDropFailure) -> CreatedShipment {
        if let existing = try await lookUp(reference) { return try await shipment(existing, reference: reference) }
        let operation = "booking \(reference)"
        let response = try await send(HTTPRequest(method: "POST", url: url("/orders"), headers: headers(json: true), body: order.body),
                                      operation: operation)
        let outcome: ClickAndDropCreateOutcome
        do throws(JSONError) {
            outcome = try ClickAndDropCreateOutcome(try JSONNode(try JSONParser.parse(response.bodyText)).object(), reference: reference)
        } catch {
            throw ClickAndDropFailure(unexpected: error, operation: operation)
        }
        switch outcome {
        case .created(let created):
            return try await shipment(created, reference: reference)
        case .failed(let messages):
            if let existing = try await lookUp(reference) { return try await shipment(existing, reference: reference) }
            throw ClickAndDropFailure(.rejected("Click & Drop refused \(reference): \(messages.joined(separator: "; "))"), isRetryable: false)
        }
    }

    /// The order Click & Drop holds under our reference, or nil (404).
    private func lookUp(_ reference: String) async throws(ClickAndDropFailure) -> ClickAndDropOrderInfo? {
        let operation = "looking up \(reference)"
        let quoted = "%22" + Self.percentEncode(reference) + "%22"
        let response = try await exchange(HTTPRequest(method: "GET", url: url("/orders/\(quoted)"), headers: headers(json: false)))
        // 404: Click & Drop holds no order under the reference.
        if response.statusCode == 404 { return nil }
        guard (200..<300).contains(response.statusCode) else { throw ClickAndDropFailure(response: response, operation: operation) }
        do throws(JSONError) {
            let orders = try JSONNode(try JSONParser.parse(response.bodyText)).array()
            for order in orders {
                let info = try ClickAndDropOrderInfo(try order.object())
                if info.orderReference == reference { return info }
            }
            return nil
        } catch {
            throw ClickAndDropFailure(unexpected: error, operation: operation)
        }
    }

    /// The shipment of an order Click & Drop holds; its label from the create response or, when
    /// that had none, from `GET /orders/{id}/label` (empty when the account cannot fetch labels by
    /// API, e.g. online-postage accounts: the label is then printed from Click & Drop).
    private func shipment(_ order: ClickAndDropOrderInfo, reference: String) async throws(ClickAndDropFailure) -> CreatedShipment {
        guard let trackingNumber = order.trackingNumber else {
            let why = order.labelErrors.isEmpty ? "" : " (\(order.labelErrors.joined(separator: "; ")))"
            throw ClickAndDropFailure(.rejected("Click & Drop holds order \(order.orderIdentifier) for \(reference) without a tracking number\(why); use a tracked service, or generate its label in Click & Drop, then retry"),
                                      isRetryable: false)
        }
        let label: [UInt8]
        if let included = order.label {
            label = included
        } else {
            label = try await fetchLabel(order.orderIdentifier, reference: reference)
        }
        return CreatedShipment(trackingNumber: trackingNumber, courierShipmentID: String(order.orderIdentifier), label: label)
    }

    private func fetchLabel(_ orderIdentifier: Int64, reference: String) async throws(ClickAndDropFailure) -> [UInt8] {
        let operation = "fetching the label of \(reference)"
        let target = "/orders/\(orderIdentifier)/label?documentType=postageLabel&includeReturnsLabel=false"
        let response = try await exchange(HTTPRequest(method: "GET", url: url(target), headers: [
            HTTPHeader(name: "Authorization", value: "Bearer \(configuration.apiKey)"),
            HTTPHeader(name: "Accept", value: "application/pdf"),
        ]))
        switch response.statusCode {
        case 200 where response.body.starts(with: Array("%PDF".utf8)): return response.body
        case 200: throw ClickAndDropFailure(.unavailable("Click & Drop's label for \(reference) is not a PDF"), isRetryable: false)
        case 403, 404: return []
        default: throw ClickAndDropFailure(response: response, operation: operation)
        }
    }

    /// Sends `request`; a 2xx response is returned, anything else thrown.
    private func send(_ request: HTTPRequest, operation: String) async throws(ClickAndDropFailure) -> HTTPResponse {
        let response = try await exchange(request)
        guard (200..<300).contains(response.statusCode) else { throw ClickAndDropFailure(response: response, operation: operation) }
        return response
    }

    /// Sends `request`, in its turn under the rate limit, and returns the response, whatever its status.
    private func exchange(_ request: HTTPRequest) async throws(ClickAndDropFailure) -> HTTPResponse {
        let interval = Duration.milliseconds(configuration.minimumCallIntervalMilliseconds)
        let slot = nextCallSlot.withLock { next in
            let slot = max(next, ContinuousClock.now)
            next = slot + interval
            return slot
        }
        do {
            try await Task.sleep(until: slot, clock: .continuous)
        } catch {
            throw ClickAndDropFailure(.unavailable("cancelled while waiting to call Click & Drop"), isRetryable: false)
        }
        do {
            return try await client.send(request)
        } catch {
            throw ClickAndDropFailure(transport: error, host: baseURL.hostHeader)
        }
    }

    private func headers(json: Bool) -> [HTTPHeader] {
        var headers = [HTTPHeader(name: "Authorization", value: "Bearer \(configuration.apiKey)"),
                       HTTPHeader(name: "Accept", value: "application/json")]
        if json { headers.append(HTTPHeader(name: "Content-Type", value: "application/json")) }
        return headers
    }

    private func url(_ path: String) -> HTTPURL {
        let base = baseURL.target.hasSuffix("/") ? String(baseURL.target.dropLast()) : baseURL.target
        return baseURL.replacingTarget(base + path)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 §2.1: every byte outside the unreserved set percent-encoded (a `;` in a reference
    /// must not split the identifier list).
    static func percentEncode(_ text: String) -> String {
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The wall clock in UTC as ISO 8601 ("2026-06-13T09:00:00Z"), for `orderDate`.
    static func currentTimeISO8601() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let seconds = Int(now.tv_sec)
        let day = CalendarDay(daysSinceEpoch: seconds.floorDivided(by: 86_400))
        let secondOfDay = seconds - seconds.floorDivided(by: 86_400) * 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(day)T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}

extension Int {
    /// Division rounding towards minus infinity, so instants before 1970 fall on the right day.
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
