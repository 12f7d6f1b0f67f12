import RPCCore

/// Turns call metadata into request header fields.
enum RequestMetadata {
    /// Names the protocol or HTTP/2 reserves: set by the channel itself, never by callers.
    static let reservedNames: Set<String> = [
        "content-type", "te", "user-agent", "host", "connection", "keep-alive", "proxy-connection",
        "transfer-encoding", "upgrade",
    ]

    /// The header fields for `metadata`: `-bin` values in base64 (unpadded, as gRPC recommends),
    /// reserved names (pseudo-headers, `grpc-*`, HTTP/2 connection headers) left out.
    /// Throws INTERNAL for a name or value HTTP/2 cannot carry: a server would reset the stream.
    static func headerFields(for metadata: Metadata) throws(Status) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(metadata.count)
        for entry in metadata {
            let name = entry.key
            if name.hasPrefix(":") || name.hasPrefix("grpc-") || reservedNames.contains(name) { continue }
            guard isValidName(name) else {
                throw Status(.internalError, "metadata key \(name.debugDescription) is not a valid header name (a-z 0-9 - _ .)")
            }
            switch entry.value {
            case .binary(let bytes):
                guard name.hasSuffix("-bin") else {
                    throw Status(.internalError, "metadata key \(name) has a binary value but does not end in -bin")
                }
                fields.append((name, Base64.encodeUnpadded(bytes)))
            case .string(let text):
                guard !name.hasSuffix("-bin") else {
                    throw Status(.internalError, "metadata key \(name) ends in -bin but has a text value")
                }
                guard text.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
                    throw Status(.internalError, "metadata \(name) has a value outside printable ASCII; use a -bin key for bytes")
                }
                fields.append((name, text))
            }
        }
        return fields
    }

    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
    }
}
