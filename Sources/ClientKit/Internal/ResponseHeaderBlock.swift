import RPCCore

/// One header block of a response (the response headers, the trailers, or both at once in a
/// Trailers-Only response) as it arrives field by field.
struct ResponseHeaderBlock {
    /// The most header bytes accepted in one block (RFC 9113 §6.5.2 counting).
    let maxBytes: Int
    private(set) var byteCount = 0
    /// Set once the block passed `maxBytes`; the fields after that were dropped.
    private(set) var overflowed = false

    private(set) var httpStatus: Int?
    private(set) var contentType: String?
    private(set) var encoding: String?
    private(set) var grpcStatus: String?
    private(set) var grpcMessage: String?
    /// The encodings the server accepts for requests (`grpc-accept-encoding`, repeated fields joined).
    private(set) var acceptEncoding: String?
    /// The fields that are not part of the protocol: the call's metadata.
    private(set) var metadata = Metadata()

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Takes one field.
    mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        // RFC 9113 §6.5.2: a field counts its name and value lengths plus 32.
        byteCount += name.count + value.count + 32
        if byteCount > maxBytes {
            overflowed = true
            metadata = Metadata()
        }
        guard !overflowed else { return }
        let name = String(decoding: name, as: UTF8.self)
        let text = String(decoding: value, as: UTF8.self)
        switch name {
        case ":status": httpStatus = Int(text)
        case "content-type": contentType = text
        case "grpc-encoding": encoding = text
        case "grpc-status": grpcStatus = text
        case "grpc-message": grpcMessage = text
        case "grpc-accept-encoding": acceptEncoding = acceptEncoding.map { $0 + "," + text } ?? text
        default:
            if name.hasPrefix(":") { return }
            if name.hasSuffix("-bin") {
                // An undecodable binary value is dropped rather than failing a call that succeeded.
                if let bytes = Base64.decode(text) { metadata.add(name, binary: bytes) }
            } else {
                metadata.add(name, text)
            }
        }
    }

    /// Whether the block is an informational (1xx) response, which gRPC ignores.
    var isInformational: Bool { httpStatus.map { (100..<200).contains($0) } ?? false }

    /// The call's status from these trailers; `httpStatus` is the response's `:status` (this
    /// block's own in a Trailers-Only response).
    func status(httpStatus: Int?) -> Status {
        if let text = grpcStatus, let value = Int(text) {
            let message = grpcMessage.map(PercentEncoding.decodeMessage) ?? ""
            return Status(Status.Code(wireValue: value), message, metadata: metadata)
        }
        if let httpStatus, httpStatus != 200 {
            // gRPC's http-grpc-status-mapping.md: a non-gRPC answer (often from a proxy).
            return Status(Status.Code(httpStatus: httpStatus), "HTTP status \(httpStatus) without grpc-status",
                          metadata: metadata)
        }
        return Status(.unknown, "the server sent trailers without grpc-status", metadata: metadata)
    }
}
