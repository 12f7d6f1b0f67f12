/// Reads one HTTP/1.1 response (RFC 9112) from a byte source: status line, header fields, and a
/// body framed by chunked transfer coding, `Content-Length`, or the end of the connection.
struct HTTPResponseReader {
    /// Longest chunk-size line (size, extensions, CRLF) accepted.
    static let maxChunkLineBytes = 1024
    /// Bytes asked of the source per read.
    private static let readSizeBytes = 16 * 1024

    private let source: HTTPByteSource
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    /// Received bytes not yet consumed are `buffer[start...]`.
    private var buffer: [UInt8] = []
    private var start = 0
    private var receivedAny = false

    init(source: HTTPByteSource, maxHeaderBytes: Int, maxBodyBytes: Int) {
        self.source = source
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// The final response to a request whose method was not HEAD; interim 1xx responses are skipped.
    mutating func readResponse() throws(HTTPClientError) -> HTTPResponse {
        var headerBudget = maxHeaderBytes
        while true {
            let (statusCode, reason) = try readStatusLine(budget: &headerBudget)
            let headers = try readFields(budget: &headerBudget)
            if statusCode == 101 { throw .malformedResponse("101 Switching Protocols without an upgrade request") }
            if (100..<200).contains(statusCode) { continue }
            let body = try readBody(statusCode: statusCode, headers: headers)
            return HTTPResponse(statusCode: statusCode, reasonPhrase: reason, headers: headers, body: body)
        }
    }

    private mutating func readStatusLine(budget: inout Int) throws(HTTPClientError) -> (Int, String) {
        let line = try readLine(budget: &budget, what: "the response header")
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let code = Int(parts[1]), code >= 100 else {
            throw .malformedResponse("bad status line \(String(line.prefix(80)).debugDescription)")
        }
        return (code, parts.count == 3 ? String(parts[2]) : "")
    }

    private mutating func readFields(budget: inout Int) throws(HTTPClientError) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        while true {
            let line = try readLine(budget: &budget, what: "the response header")
            if line.isEmpty { return headers }
            guard let first = line.first, first != " ", first != "\t" else {
                // RFC 9112 §5.2: obsolete line folding may be rejected.
                throw .malformedResponse("folded header line")
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else {
                throw .malformedResponse("bad header line \(String(line.prefix(80)).debugDescription)")
            }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            let trimmed = value.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            headers.append(HTTPHeader(name: String(line[..<colon]), value: String(trimmed)))
        }
    }

    private mutating func readBody(statusCode: Int, headers: [HTTPHeader]) throws(HTTPClientError) -> [UInt8] {
        if statusCode == 204 || statusCode == 304 { return [] }
        let response = HTTPResponse(statusCode: statusCode, reasonPhrase: "", headers: headers, body: [])
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; chunked must be the last coding.
        if let codings = response.headerValue("Transfer-Encoding") {
            let last = codings.split(separator: ",").last.map { $0.trimmingSpaces.lowercased() }
            return last == "chunked" ? try readChunkedBody() : try readUntilClose()
        }
        let lengths = headers.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        if let length = lengths.first {
            guard lengths.allSatisfy({ $0 == length }), !length.isEmpty,
                  length.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(length) else {
                throw .malformedResponse("bad Content-Length \(lengths)")
            }
            guard count <= maxBodyBytes else {
                throw .responseTooLarge("a body of \(count) bytes exceeds the limit of \(maxBodyBytes)")
            }
            return try readExactly(count)
        }
        return try readUntilClose()
    }

    private mutating func readChunkedBody() throws(HTTPClientError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineBudget = Self.maxChunkLineBytes
            let line = try readLine(budget: &lineBudget, what: "a chunk-size line")
            let sizeText = line.prefix { $0 != ";" }.trimmingSpaces
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16), size >= 0 else {
                throw .malformedResponse("bad chunk size \(String(line.prefix(40)).debugDescription)")
            }
            if size == 0 { break }
            guard size <= maxBodyBytes - body.count else {
                throw .responseTooLarge("the chunked body exceeds the limit of \(maxBodyBytes) bytes")
            }
            body += try readExactly(size)
            var endBudget = 2
            guard try readLine(budget: &endBudget, what: "a chunk's end").isEmpty else {
                throw .malformedResponse("a chunk is longer than its size")
            }
        }
        var trailerBudget = maxHeaderBytes
        _ = try readFields(budget: &trailerBudget)
        return body
    }

    private mutating func readUntilClose() throws(HTTPClientError) -> [UInt8] {
        while try fill() {
            guard buffer.count - start <= maxBodyBytes else {
                throw .responseTooLarge("the body exceeds the limit of \(maxBodyBytes) bytes")
            }
        }
        return take(buffer.count - start)
    }

    private mutating func readExactly(_ count: Int) throws(HTTPClientError) -> [UInt8] {
        while buffer.count - start < count {
            guard try fill() else {
                throw .connectionFailed("the connection closed after \(buffer.count - start) of \(count) body bytes")
            }
        }
        return take(count)
    }

    /// The next line without its CRLF (a bare LF is accepted, RFC 9112 §2.2); each byte,
    /// terminator included, is charged to `budget`.
    private mutating func readLine(budget: inout Int, what: String) throws(HTTPClientError) -> String {
        var scannedBytes = 0
        while true {
            if let newline = buffer[(start + scannedBytes)...].firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline + 1 - start
                guard length <= budget else { throw .responseTooLarge("\(what) exceeds \(budget) bytes") }
                budget -= length
                var line = take(length).dropLast()
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard buffer.count - start <= budget else { throw .responseTooLarge("\(what) exceeds \(budget) bytes") }
            scannedBytes = buffer.count - start
            guard try fill() else {
                throw .connectionFailed(receivedAny ? "the connection closed in \(what)"
                                                    : "the server closed the connection without responding")
            }
        }
    }

    /// Removes and returns the next `count` buffered bytes.
    private mutating func take(_ count: Int) -> [UInt8] {
        let bytes = Array(buffer[start..<start + count])
        start += count
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return bytes
    }

    /// Appends what the source has; false at the end of the stream.
    private mutating func fill() throws(HTTPClientError) -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: Self.readSizeBytes)
        let result = chunk.withUnsafeMutableBytes { raw -> Result<Int, HTTPClientError> in
            do throws(HTTPClientError) { return .success(try source.read(into: raw)) } catch { return .failure(error) }
        }
        let count = try result.get()
        buffer += chunk[..<count]
        if count > 0 { receivedAny = true }
        return count > 0
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
