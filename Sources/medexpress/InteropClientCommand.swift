import ClientKit

/// `medexpress interop-client`: runs one gRPC interop test case (grpc/grpc
/// doc/interop-test-descriptions.md) with ClientKit against any TestService server, prints
/// `PASS <case>` and exits 0, or fails with the reason.
struct InteropClientCommand {
    /// The cases this client implements, in the order of the interop descriptions.
    static let testCases = [
        "empty_unary", "large_unary", "client_compressed_unary", "server_compressed_unary", "client_streaming",
        "client_compressed_streaming", "server_streaming", "server_compressed_streaming", "ping_pong", "empty_stream",
        "custom_metadata", "status_code_and_message", "special_status_message", "unimplemented_method",
        "unimplemented_service", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server",
    ]

    let target: SocketAddress
    let tls: TLSConfiguration?
    let authority: String?
    let testCase: String

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: ["use_tls", "use_test_ca"])
        let host = arguments.string("server_host", default: "127.0.0.1")
        let port = try arguments.integer("server_port", default: 10000, range: 1...65535)
        target = SocketAddress(host: host, port: port)
        guard let testCase = arguments.string("test_case") else {
            throw UsageError("--test_case NAME is required (\(Self.testCases.joined(separator: ", ")))")
        }
        guard Self.testCases.contains(testCase) else { throw UsageError("unknown test case \(testCase)") }
        self.testCase = testCase
        // The interop convention writes booleans as --use_tls or --use_tls=true.
        let useTLS = arguments.flag("use_tls") || arguments.string("use_tls") == "true"
        _ = arguments.flag("use_test_ca")
        let caFile = arguments.string("ca_file")
        let override = arguments.string("server_host_override")
        if useTLS {
            tls = .client(trustRootsFile: caFile, serverName: override ?? host)
        } else {
            guard caFile == nil, override == nil else { throw UsageError("--ca_file and --server_host_override need --use_tls") }
            tls = nil
        }
        authority = override.map { SocketAddress(host: $0, port: port).description }
        try arguments.rejectUnknown()
    }

    func run() async throws {
        var configuration = ChannelConfiguration()
        configuration.authority = authority
        let channel = try GRPCChannel(target: target, tls: tls, configuration: configuration)
        let result: Result<Void, any Error>
        do {
            try await InteropTestCases(channel: channel).run(testCase)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await channel.close()
        switch result {
        case .success:
            printLine("PASS \(testCase)")
        case .failure(let failure as InteropFailure):
            throw failure
        case .failure(let error):
            throw InteropFailure("\(testCase): unexpected error: \(error)")
        }
    }
}

/// Why an interop case failed.
struct InteropFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "FAIL \(description)" }
}

/// The interop test cases, client side, each asserting what the description asserts.
struct InteropTestCases {
    typealias Service = Grpc_Testing_TestService.Method

    let channel: GRPCChannel
    let client: Grpc_Testing_TestServiceClient

    static let statusMessage = "test status message"
    static let specialStatusMessage = "\t\ntest with whitespace\r\nand Unicode BMP \u{263A} and non-BMP \u{1F608}\t\n"
    static let echoInitialKey = "x-grpc-test-echo-initial"
    static let echoInitialValue = "test_initial_metadata_value"
    static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"
    static let echoTrailingValue: [UInt8] = [0xAB, 0xAB, 0xAB]

    init(channel: GRPCChannel) {
        self.channel = channel
        self.client = Grpc_Testing_TestServiceClient(channel: channel)
    }

    func run(_ name: String) async throws {
        switch name {
        case "empty_unary": try await emptyUnary()
        case "large_unary": try await largeUnary()
        case "client_compressed_unary": try await clientCompressedUnary()
        case "server_compressed_unary": try await serverCompressedUnary()
        case "client_streaming": try await clientStreaming()
        case "client_compressed_streaming": try await clientCompressedStreaming()
        case "server_streaming": try await serverStreaming()
        case "server_compressed_streaming": try await serverCompressedStreaming()
        case "ping_pong": try await pingPong()
        case "empty_stream": try await emptyStream()
        case "custom_metadata": try await customMetadata()
        case "status_code_and_message": try await statusCodeAndMessage(Self.statusMessage)
        case "special_status_message": try await specialStatusMessage()
        case "unimplemented_method": try await unimplementedMethod()
        case "unimplemented_service": try await unimplementedService()
        case "cancel_after_begin": try await cancelAfterBegin()
        case "cancel_after_first_response": try await cancelAfterFirstResponse()
        case "timeout_on_sleeping_server": try await timeoutOnSleepingServer()
        default: throw InteropFailure("\(name): not implemented by this client")
        }
    }

    // MARK: Unary

    private func emptyUnary() async throws {
        let response = try await client.emptyCall(Grpc_Testing_Empty())
        try check(response.encoded().isEmpty, "empty_unary: the response is not an empty message")
    }

    private func largeUnary() async throws {
        let response = try await client.unaryCall(largeRequest())
        try checkPayload(response.payload, size: 314159, "large_unary")
    }

    private func clientCompressedUnary() async throws {
        let probe = largeRequest { $0.expectCompressed = .with { $0.value = true } }
        let status = await failure { try await client.unaryCall(probe) }
        try check(status?.code == .invalidArgument,
                  "client_compressed_unary: the uncompressed probe should fail with INVALID_ARGUMENT, got \(describe(status))")
        let compressed = try await client.unaryCall(probe, options: CallOptions(compression: .gzip))
        try checkPayload(compressed.payload, size: 314159, "client_compressed_unary (compressed)")
        let plain = largeRequest { $0.expectCompressed = .with { $0.value = false } }
        let uncompressed = try await client.unaryCall(plain)
        try checkPayload(uncompressed.payload, size: 314159, "client_compressed_unary (uncompressed)")
    }

    private func serverCompressedUnary() async throws {
        for compressed in [true, false] {
            let request = largeRequest { $0.responseCompressed = .with { $0.value = compressed } }
            let call = try await channel.makeCall(Service.unaryCall.descriptor, metadata: [:], options: CallOptions())
            try await call.send(request.encoded(), compressed: false)
            try await call.closeSend()
            let message = try await receiveFlagged(call, "server_compressed_unary")
            let status = await call.status()
            try check(status.code == .ok, "server_compressed_unary: status \(status)")
            try check(message.wasCompressed == compressed,
                      "server_compressed_unary: response_compressed=\(compressed) but the message flag says \(message.wasCompressed)")
            let response = try Grpc_Testing_SimpleResponse(decoding: message.bytes)
            try checkPayload(response.payload, size: 314159, "server_compressed_unary")
        }
    }

    // MARK: Client streaming

    private func clientStreaming() async throws {
        let call = try await client.streamingInputCall()
        for size in [27182, 8, 1828, 45904] {
            try await call.send(.with { $0.payload = zeros(size) })
        }
        let response = try await call.finish()
        try check(response.message.aggregatedPayloadSize == 74922,
                  "client_streaming: aggregated_payload_size \(response.message.aggregatedPayloadSize), expected 74922")
    }

    private func clientCompressedStreaming() async throws {
        let probe = Grpc_Testing_StreamingInputCallRequest.with {
            $0.expectCompressed = .with { $0.value = true }
            $0.payload = zeros(27182)
        }
        let probeCall = try await client.streamingInputCall()
        let status = await failure {
            try await probeCall.send(probe)
            return try await probeCall.finish()
        }
        try check(status?.code == .invalidArgument,
                  "client_compressed_streaming: the uncompressed probe should fail with INVALID_ARGUMENT, got \(describe(status))")

        // One call whose first message is compressed and whose second is not.
        let call = try await channel.makeCall(Service.streamingInputCall.descriptor, metadata: [:],
                                              options: CallOptions(compression: .gzip))
        try await call.send(probe.encoded(), compressed: true)
        let plain = Grpc_Testing_StreamingInputCallRequest.with {
            $0.expectCompressed = .with { $0.value = false }
            $0.payload = zeros(45904)
        }
        try await call.send(plain.encoded(), compressed: false)
        try await call.closeSend()
        let message = try await receiveFlagged(call, "client_compressed_streaming")
        let finalStatus = await call.status()
        try check(finalStatus.code == .ok, "client_compressed_streaming: status \(finalStatus)")
        let response = try Grpc_Testing_StreamingInputCallResponse(decoding: message.bytes)
        try check(response.aggregatedPayloadSize == 73086,
                  "client_compressed_streaming: aggregated_payload_size \(response.aggregatedPayloadSize), expected 73086")
    }

    // MARK: Server streaming

    private func serverStreaming() async throws {
        let sizes: [Int32] = [31415, 9, 2653, 58979]
        let request = Grpc_Testing_StreamingOutputCallRequest.with {
            $0.responseParameters = sizes.map { size in .with { $0.size = size } }
        }
        let call = try await client.streamingOutputCall(request)
        var received: [Int] = []
        for try await response in call {
            try checkPayload(response.payload, size: response.payload?.body.count ?? 0, "server_streaming")
            received.append(response.payload?.body.count ?? 0)
        }
        try check(received == sizes.map(Int.init), "server_streaming: response sizes \(received), expected \(sizes)")
        let status = await call.status()
        try check(status.code == .ok, "server_streaming: status \(status)")
    }

    private func serverCompressedStreaming() async throws {
        let request = Grpc_Testing_StreamingOutputCallRequest.with {
            $0.responseParameters = [
                .with { $0.compressed = .with { $0.value = true }; $0.size = 31415 },
                .with { $0.compressed = .with { $0.value = false }; $0.size = 92653 },
            ]
        }
        let call = try await channel.makeCall(Service.streamingOutputCall.descriptor, metadata: [:], options: CallOptions())
        try await call.send(request.encoded(), compressed: false)
        try await call.closeSend()
        for (size, compressed) in [(31415, true), (92653, false)] {
            let message = try await receiveFlagged(call, "server_compressed_streaming")
            try check(message.wasCompressed == compressed,
                      "server_compressed_streaming: message of \(size) bytes: compressed flag \(message.wasCompressed), expected \(compressed)")
            let response = try Grpc_Testing_StreamingOutputCallResponse(decoding: message.bytes)
            try checkPayload(response.payload, size: size, "server_compressed_streaming")
        }
        let extra = try await call.receive()
        try check(extra == nil, "server_compressed_streaming: more than two responses")
        let status = await call.status()
        try check(status.code == .ok, "server_compressed_streaming: status \(status)")
    }

    // MARK: Bidirectional streaming

    private func pingPong() async throws {
        let call = try await client.fullDuplexCall()
        var responses = call.makeAsyncIterator()
        for (responseSize, requestSize) in [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)] {
            try await call.send(.with {
                $0.responseParameters = [.with { $0.size = Int32(responseSize) }]
                $0.payload = zeros(requestSize)
            })
            guard let response = try await responses.next() else {
                throw InteropFailure("ping_pong: the server ended the call before answering")
            }
            try checkPayload(response.payload, size: responseSize, "ping_pong")
        }
        try await call.closeSend()
        let end = try await responses.next()
        try check(end == nil, "ping_pong: more than four responses")
        let status = await call.status()
        try check(status.code == .ok, "ping_pong: status \(status)")
    }

    private func emptyStream() async throws {
        let call = try await client.fullDuplexCall()
        try await call.closeSend()
        var count = 0
        for try await _ in call { count += 1 }
        try check(count == 0, "empty_stream: \(count) responses, expected none")
        let status = await call.status()
        try check(status.code == .ok, "empty_stream: status \(status)")
    }

    // MARK: Metadata and status

    private func customMetadata() async throws {
        var metadata = Metadata()
        metadata.add(Self.echoInitialKey, Self.echoInitialValue)
        metadata.add(Self.echoTrailingKey, binary: Self.echoTrailingValue)

        let unary = try await channel.unary(Service.unaryCall, largeRequest(), metadata: metadata)
        try checkEchoedMetadata(initial: unary.initialMetadata, trailing: unary.trailingMetadata, "custom_metadata (unary)")

        let call = try await client.fullDuplexCall(metadata: metadata)
        try await call.send(.with {
            $0.responseParameters = [.with { $0.size = 314159 }]
            $0.payload = zeros(271828)
        })
        try await call.closeSend()
        for try await response in call { try checkPayload(response.payload, size: 314159, "custom_metadata") }
        let initial = try await call.initialMetadata()
        let status = await call.status()
        try check(status.code == .ok, "custom_metadata: full duplex status \(status)")
        try checkEchoedMetadata(initial: initial, trailing: status.metadata, "custom_metadata (full duplex)")
    }

    private func statusCodeAndMessage(_ message: String) async throws {
        let echoStatus = Grpc_Testing_EchoStatus.with {
            $0.code = 2
            $0.message = message
        }
        let unaryStatus = await failure { try await client.unaryCall(.with { $0.responseStatus = echoStatus }) }
        try checkEchoedStatus(unaryStatus, message, "unary")

        let call = try await client.fullDuplexCall()
        try await call.send(.with { $0.responseStatus = echoStatus })
        try await call.closeSend()
        let streamStatus = await failure {
            for try await _ in call {}
            return ()
        }
        try checkEchoedStatus(streamStatus, message, "full duplex")
    }

    private func specialStatusMessage() async throws {
        let status = await failure {
            try await client.unaryCall(.with {
                $0.responseStatus = .with {
                    $0.code = 2
                    $0.message = Self.specialStatusMessage
                }
            })
        }
        try checkEchoedStatus(status, Self.specialStatusMessage, "unary")
    }

    private func unimplementedMethod() async throws {
        let status = await failure { try await client.unimplementedCall(Grpc_Testing_Empty()) }
        try check(status?.code == .unimplemented, "unimplemented_method: expected UNIMPLEMENTED, got \(describe(status))")
    }

    private func unimplementedService() async throws {
        let other = Grpc_Testing_UnimplementedServiceClient(channel: channel)
        let status = await failure { try await other.unimplementedCall(Grpc_Testing_Empty()) }
        try check(status?.code == .unimplemented, "unimplemented_service: expected UNIMPLEMENTED, got \(describe(status))")
    }

    // MARK: Cancellation and deadlines

    private func cancelAfterBegin() async throws {
        let call = try await client.streamingInputCall()
        call.cancel()
        let status = await failure { try await call.finish() }
        try check(status?.code == .cancelled, "cancel_after_begin: expected CANCELLED, got \(describe(status))")
    }

    private func cancelAfterFirstResponse() async throws {
        let call = try await client.fullDuplexCall()
        var responses = call.makeAsyncIterator()
        try await call.send(.with {
            $0.responseParameters = [.with { $0.size = 31415 }]
            $0.payload = zeros(27182)
        })
        let first = try await responses.next()
        try checkPayload(first?.payload, size: 31415, "cancel_after_first_response")
        call.cancel()
        let status = await call.status()
        try check(status.code == .cancelled, "cancel_after_first_response: expected CANCELLED, got \(status)")
    }

    private func timeoutOnSleepingServer() async throws {
        let call = try await client.fullDuplexCall(options: CallOptions(timeout: .milliseconds(1)))
        do {
            try await call.send(.with { $0.payload = zeros(27182) })
        } catch let status as Status where status.code == .deadlineExceeded {
            // The deadline may pass before the request is even sent.
        }
        let status = await call.status()
        try check(status.code == .deadlineExceeded, "timeout_on_sleeping_server: expected DEADLINE_EXCEEDED, got \(status)")
    }

    // MARK: Helpers

    private func largeRequest(_ adjust: (inout Grpc_Testing_SimpleRequest) -> Void = { _ in }) -> Grpc_Testing_SimpleRequest {
        var request = Grpc_Testing_SimpleRequest.with {
            $0.responseType = .compressable
            $0.responseSize = 314159
            $0.payload = zeros(271828)
        }
        adjust(&request)
        return request
    }

    private func zeros(_ count: Int) -> Grpc_Testing_Payload {
        .with { $0.body = [UInt8](repeating: 0, count: count) }
    }

    private func receiveFlagged(_ call: any ClientCallStream, _ name: String) async throws -> ReceivedMessage {
        guard let flagged = call as? any ResponseMessageReceiving else {
            throw InteropFailure("\(name): the call cannot report message flags")
        }
        guard let message = try await flagged.receiveMessage() else {
            throw InteropFailure("\(name): no response message (status \(await call.status()))")
        }
        return message
    }

    private func check(_ condition: Bool, _ failure: @autoclosure () -> String) throws(InteropFailure) {
        if !condition { throw InteropFailure(failure()) }
    }

    private func checkPayload(_ payload: Grpc_Testing_Payload?, size: Int, _ name: String) throws(InteropFailure) {
        guard let payload else { throw InteropFailure("\(name): the response has no payload") }
        try check(payload.body.count == size, "\(name): payload of \(payload.body.count) bytes, expected \(size)")
        try check(payload.body.allSatisfy { $0 == 0 }, "\(name): the payload body is not all zeros")
    }

    private func checkEchoedMetadata(initial: Metadata, trailing: Metadata, _ name: String) throws(InteropFailure) {
        try check(initial[Self.echoInitialKey] == Self.echoInitialValue,
                  "\(name): initial metadata \(Self.echoInitialKey) is \(initial[Self.echoInitialKey] ?? "missing")")
        try check(trailing.binary(Self.echoTrailingKey) == Self.echoTrailingValue,
                  "\(name): trailing metadata \(Self.echoTrailingKey) is \(trailing.binary(Self.echoTrailingKey).map { "\($0)" } ?? "missing")")
    }

    private func checkEchoedStatus(_ status: Status?, _ message: String, _ call: String) throws(InteropFailure) {
        try check(status?.code == .unknown && status?.message == message,
                  "status_code_and_message (\(call)): expected UNKNOWN \(message.debugDescription), got \(describe(status))")
    }

    /// The status a call failed with, or nil if it succeeded (a non-Status error becomes UNKNOWN).
    private func failure<T>(_ body: () async throws -> T) async -> Status? {
        do {
            _ = try await body()
            return nil
        } catch let status as Status {
            return status
        } catch {
            return Status(.unknown, "\(error)")
        }
    }

    private func describe(_ status: Status?) -> String {
        status.map { "\($0.code) \($0.message.debugDescription)" } ?? "success"
    }
}
