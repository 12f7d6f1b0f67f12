import RPCCore
import RPCServer

/// A service made for testing the client: each method exercises one behaviour and tells the
/// `Probe` what the server saw.
struct ProbeService: RPCService {
    static let name = "clientkit.test.ProbeService"

    enum Method {
        /// Answers with the request; echoes `x-echo-initial` in the response headers and
        /// `x-echo-trailing-bin` in the trailers; compresses the response when asked with
        /// `x-compress-response`.
        static let echo = unary("Echo")
        /// Answers with one message per byte value of the request's first byte.
        static let expand = RPCMethod<Blob, Blob>(MethodDescriptor(service: name, method: "Expand", type: .serverStreaming))
        /// Answers with the total request bytes, in decimal.
        static let collect = RPCMethod<Blob, Blob>(MethodDescriptor(service: name, method: "Collect", type: .clientStreaming))
        /// Answers each request as it arrives.
        static let chat = RPCMethod<Blob, Blob>(MethodDescriptor(service: name, method: "Chat", type: .bidirectionalStreaming))
        /// Never answers; counts `hang.started` and, once cancelled, `hang.cancelled`.
        static let hang = unary("Hang")
        /// The same, as a bidirectional stream.
        static let hangStream = RPCMethod<Blob, Blob>(MethodDescriptor(service: name, method: "HangStream", type: .bidirectionalStreaming))
        /// Idempotent: fails with UNAVAILABLE as many times as the request's first byte says.
        static let flakyRead = unary("FlakyRead", idempotent: true)
        /// Not idempotent: always fails with UNAVAILABLE.
        static let flakyWrite = unary("FlakyWrite")
        /// Needs `authorization: Bearer good`, else UNAUTHENTICATED.
        static let guarded = unary("Guarded")
        /// Answers with the common name of the client certificate, or `anonymous`.
        static let whoami = unary("Whoami")
        /// Answers with as many bytes as the request says (decimal).
        static let big = unary("Big")

        private static func unary(_ method: String, idempotent: Bool = false) -> RPCMethod<Blob, Blob> {
            RPCMethod(MethodDescriptor(service: name, method: method, type: .unary, isIdempotent: idempotent))
        }
    }

    let probe: Probe

    var methods: [ServerMethod] {
        let probe = self.probe
        return [
            ServerMethod(descriptor: Method.echo.descriptor) { stream, context in
                guard let request = try await stream.receive() else { throw Status(.internalError, "no request") }
                probe.increment("echo")
                probe.record("echo.compressed", String(request.wasCompressed))
                for entry in context.requestMetadata {
                    if case .string(let text) = entry.value { probe.record("echo.metadata", "\(entry.key)=\(text)") }
                }
                probe.record("echo.peer", context.peer.address)
                if let value = context.requestMetadata["x-echo-initial"] {
                    context.initialMetadata.add("x-echo-initial", value)
                }
                if let bytes = context.requestMetadata.binary("x-echo-trailing-bin") {
                    context.trailingMetadata.add("x-echo-trailing-bin", binary: bytes)
                }
                context.compressResponses = context.requestMetadata["x-compress-response"] != nil
                try await stream.send(request.bytes, compressed: context.compressResponses)
            },
            .serverStreaming(Method.expand) { request, responses, _ in
                for index in 0..<Int(request.bytes.first ?? 0) {
                    try await responses.write(Blob([UInt8(index)]))
                }
            },
            .clientStreaming(Method.collect) { requests, _ in
                var total = 0
                for try await request in requests { total += request.bytes.count }
                return Blob(String(total))
            },
            .bidirectionalStreaming(Method.chat) { requests, responses, _ in
                for try await request in requests { try await responses.write(request) }
            },
            .unary(Method.hang) { _, context in
                try await Self.hang(probe: probe, context: context)
            },
            .bidirectionalStreaming(Method.hangStream) { _, _, context in
                _ = try await Self.hang(probe: probe, context: context)
            },
            .unary(Method.flakyRead) { request, _ in
                let attempt = probe.increment("flakyRead")
                if attempt <= Int(request.bytes.first ?? 0) { throw Status(.unavailable, "try again (attempt \(attempt))") }
                return Blob("ok after \(attempt)")
            },
            .unary(Method.flakyWrite) { _, _ in
                probe.increment("flakyWrite")
                throw Status(.unavailable, "not now")
            },
            .unary(Method.guarded) { _, context in
                probe.increment("guarded")
                probe.record("guarded.authorization", context.requestMetadata["authorization"] ?? "")
                guard context.requestMetadata["authorization"] == "Bearer good" else {
                    throw Status(.unauthenticated, "bad token")
                }
                return Blob("welcome")
            },
            .unary(Method.whoami) { _, context in
                Blob(context.peer.certificate?.commonName ?? "anonymous")
            },
            .unary(Method.big) { request, _ in
                Blob([UInt8](repeating: 7, count: Int(request.text) ?? 0))
            },
        ]
    }

    /// Waits until the call is cancelled, counting the start and the cancellation.
    private static func hang(probe: Probe, context: ServerContext) async throws -> Blob {
        probe.increment("hang.started")
        while !context.isCancelled && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
        probe.increment("hang.cancelled")
        throw Status(.cancelled, "cancelled")
    }
}
