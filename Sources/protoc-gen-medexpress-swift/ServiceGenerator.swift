/// Per service: a namespace with its descriptors, a provider protocol for servers, and a typed client.
extension FileGenerator {
    func emitService(_ service: ServiceModel) throws {
        let prefix = Naming.swiftPrefix(package: file.package)
        let namespace = prefix + service.name
        let methods = try service.methods.map { method throws -> ResolvedMethod in
            try ResolvedMethod(method, service: service, registry: registry)
        }

        writer.line()
        writer.docComment(file.comments[service.path], fallback: "The `\(service.fullName)` service.")
        try writer.block("public enum \(namespace)") {
            writer.line("/// The service's description.")
            writer.line("public static let descriptor = ServiceDescriptor(fullName: \(service.fullName.swiftLiteral), methods: [")
            try writer.indent {
                for method in methods { writer.line("Method.\(method.swiftName).descriptor,") }
            }
            writer.line("])")
            writer.line()
            writer.line("/// The service's methods with their message types.")
            try writer.block("public enum Method") {
                for (index, method) in methods.enumerated() {
                    if index > 0 { writer.line() }
                    writer.docComment(file.comments[method.model.path], fallback: "`\(method.model.name)`.")
                    writer.line("public static let \(method.swiftName) = RPCMethod<\(method.input), \(method.output)>(MethodDescriptor(")
                    try writer.indent {
                        writer.line("service: \(service.fullName.swiftLiteral), method: \(method.model.name.swiftLiteral), type: .\(method.rpcType),")
                        writer.line("isIdempotent: \(method.isIdempotent),")
                        if method.customOptions.isEmpty {
                            writer.line("customOptions: []))")
                        } else {
                            writer.line("customOptions: [")
                            try writer.indent {
                                for option in method.customOptions {
                                    writer.line("CustomOption(fieldNumber: \(option.fieldNumber), name: \(option.name.swiftLiteral), value: \(bytesLiteral(option.value))),")
                                }
                            }
                            writer.line("]))")
                        }
                    }
                }
            }
        }

        writer.line()
        writer.line("/// Serves `\(service.fullName)`: one requirement per method; `methods` routes them.")
        try writer.block("public protocol \(namespace)Provider: RPCService") {
            for (index, method) in methods.enumerated() {
                if index > 0 { writer.line() }
                writer.docComment(file.comments[method.model.path])
                writer.line("func \(method.swiftName)(\(method.providerParameters)) async throws\(method.providerResult)")
            }
        }
        writer.line()
        try writer.block("extension \(namespace)Provider") {
            writer.line("/// Every method of `\(service.fullName)`, served by this provider.")
            try writer.block("public var methods: [ServerMethod]") {
                writer.line("[")
                try writer.indent {
                    for method in methods {
                        writer.line(".\(method.serverMethodFactory)(\(namespace).Method.\(method.swiftName)) { \(method.handlerArguments) in")
                        try writer.indent {
                            writer.line("try await self.\(method.swiftName)(\(method.handlerCallArguments))")
                        }
                        writer.line("},")
                    }
                }
                writer.line("]")
            }
        }

        writer.line()
        writer.line("/// A typed client of `\(service.fullName)`.")
        try writer.block("public struct \(namespace)Client: Sendable") {
            writer.line("/// The channel calls go through.")
            writer.line("public let channel: any RPCChannel")
            writer.line()
            writer.line("public init(channel: any RPCChannel) {")
            writer.line("    self.channel = channel")
            writer.line("}")
            for method in methods {
                writer.line()
                writer.docComment(file.comments[method.model.path], fallback: "Calls `\(method.model.name)`.")
                try writer.block("public func \(method.swiftName)(\(method.clientParameters)) async throws -> \(method.clientResult)") {
                    writer.line(method.clientBody(namespace: namespace))
                }
            }
        }
    }

    /// `[0x0a, 0x02]`.
    func bytesLiteral(_ bytes: [UInt8]) -> String {
        "[" + bytes.map { "0x" + ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ", ") + "]"
    }

    /// `extension MethodDescriptor` accessors for the message-typed method options this file declares.
    func emitOptionAccessors() throws {
        var extensions = file.extensions
        func collect(_ messages: [MessageModel]) {
            for message in messages {
                extensions += message.extensions
                collect(message.nestedMessages)
            }
        }
        collect(file.messages)
        let accessors = extensions.filter { $0.extendee == "google.protobuf.MethodOptions" && $0.type == .message }
        guard !accessors.isEmpty else { return }
        writer.line()
        try writer.block("extension MethodDescriptor") {
            for (index, field) in accessors.enumerated() {
                if index > 0 { writer.line() }
                let type = try registry.entry(field.typeName, usedBy: field.fullName).swiftName
                let name = Naming.swiftMember(field.fullName.replacingOccurrencesOfDot)
                writer.docComment(file.comments[field.path])
                writer.line("/// The `(\(field.fullName))` option (field \(field.number)) decoded; "
                            + (field.isRepeated ? "empty when the method does not declare it." : "nil when the method does not declare it."))
                if field.isRepeated {
                    try writer.block("public var \(name): [\(type)]") {
                        writer.line("customOptions.filter { $0.fieldNumber == \(field.number) }.compactMap { try? \(type)(decoding: $0.value) }")
                    }
                } else {
                    try writer.block("public var \(name): \(type)?") {
                        writer.line("let values = customOptions.filter { $0.fieldNumber == \(field.number) }")
                        writer.line("guard !values.isEmpty else { return nil }")
                        writer.line("// Repeated occurrences of a message option merge, as their concatenated encodings do.")
                        writer.line("return try? \(type)(decoding: values.flatMap(\\.value))")
                    }
                }
            }
        }
    }
}

/// A method with the Swift names and shapes its generated declarations use.
struct ResolvedMethod {
    struct Option {
        let fieldNumber: Int
        let name: String
        let value: [UInt8]
    }

    let model: MethodModel
    let swiftName: String
    let input: String
    let output: String
    let customOptions: [Option]

    init(_ model: MethodModel, service: ServiceModel, registry: TypeRegistry) throws {
        self.model = model
        let user = service.fullName + "." + model.name
        swiftName = Naming.swiftMember(Naming.lowerCamel(model.name))
        input = try registry.entry(model.inputType, usedBy: user).swiftName
        output = try registry.entry(model.outputType, usedBy: user).swiftName
        customOptions = try model.customOptions.map { option throws -> Option in
            guard let name = registry.methodOptionExtensions[option.fieldNumber] else {
                throw GeneratorError("\(user) has option field \(option.fieldNumber), which no imported file declares "
                                     + "as an extension of google.protobuf.MethodOptions")
            }
            return Option(fieldNumber: option.fieldNumber, name: name, value: option.value)
        }
    }

    /// NO_SIDE_EFFECTS (1) and IDEMPOTENT (2) both allow retries.
    var isIdempotent: Bool { model.idempotencyLevel == 1 || model.idempotencyLevel == 2 }

    var rpcType: String {
        switch (model.clientStreaming, model.serverStreaming) {
        case (false, false): "unary"
        case (true, false): "clientStreaming"
        case (false, true): "serverStreaming"
        case (true, true): "bidirectionalStreaming"
        }
    }

    var serverMethodFactory: String { rpcType }

    var providerParameters: String {
        let requests = model.clientStreaming ? "_ requests: RequestStream<\(input)>" : "_ request: \(input)"
        let responses = model.serverStreaming ? ", responses: ResponseWriter<\(output)>" : ""
        return requests + responses + ", context: ServerContext"
    }

    var providerResult: String { model.serverStreaming ? "" : " -> \(output)" }

    var handlerArguments: String {
        (model.clientStreaming ? "requests" : "request") + (model.serverStreaming ? ", responses" : "") + ", context"
    }

    var handlerCallArguments: String {
        (model.clientStreaming ? "requests" : "request") + (model.serverStreaming ? ", responses: responses" : "")
            + ", context: context"
    }

    var clientParameters: String {
        (model.clientStreaming ? "" : "_ request: \(input), ")
            + "metadata: Metadata = [:], options: CallOptions = CallOptions()"
    }

    var clientResult: String {
        switch (model.clientStreaming, model.serverStreaming) {
        case (false, false): output
        case (true, false): "ClientStreamingCall<\(input), \(output)>"
        case (false, true): "ServerStreamingCall<\(output)>"
        case (true, true): "BidirectionalStreamingCall<\(input), \(output)>"
        }
    }

    func clientBody(namespace: String) -> String {
        let method = "\(namespace).Method.\(swiftName)"
        switch (model.clientStreaming, model.serverStreaming) {
        case (false, false):
            return "try await channel.unary(\(method), request, metadata: metadata, options: options).message"
        case (true, false):
            return "try await channel.clientStreaming(\(method), metadata: metadata, options: options)"
        case (false, true):
            return "try await channel.serverStreaming(\(method), request, metadata: metadata, options: options)"
        case (true, true):
            return "try await channel.bidirectionalStreaming(\(method), metadata: metadata, options: options)"
        }
    }
}

extension String {
    var replacingOccurrencesOfDot: String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
