/// Message structs and their conversion to and from protoc-c structs.
extension FileGenerator {
    func emitMessage(_ message: MessageModel) throws {
        let swiftName = try registry.entry(message.fullName, usedBy: message.fullName).swiftName
        let declarationName = String(swiftName.split(separator: ".").last!)
        writer.docComment(file.comments[message.path], fallback: "The `\(message.fullName)` message.")
        try writer.block("public struct \(declarationName): ProtoMessage") {
            writer.line("public static let protoMessageName = \(message.fullName.swiftLiteral)")
            var emittedOneofs: Set<Int> = []
            for field in message.fields {
                if let oneof = field.oneofIndex {
                    if emittedOneofs.insert(oneof).inserted { try emitOneofProperty(oneof, in: message) }
                } else {
                    try emitProperty(field, in: message)
                }
            }
            for (index, _) in message.oneofNames.enumerated() {
                try emitOneofAccessorsAndEnum(index, in: message)
            }
            for value in message.nestedEnums {
                writer.line()
                try emitEnum(value, declarationName: Naming.swiftTypeName(value.name))
            }
            for nested in message.nestedMessages where !nested.isMapEntry {
                writer.line()
                try emitMessage(nested)
            }
            writer.line()
            writer.line("public init() {}")
            writer.line()
            let cType = Naming.cTypeName(message.fullName)
            try writer.block("public init(decoding bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError)") {
                writer.line("// An initialized struct points at the type's protoc-c descriptor.")
                writer.line("var prototype = \(cType)()")
                writer.line("\(Naming.cFunctionPrefix(message.fullName))__init(&prototype)")
                if registry.canNestWithoutBound(message.fullName) {
                    writer.line("// Recursive through its fields: libprotobuf-c would recurse as deep as the bytes say.")
                    writer.line("try ProtobufCCoding.checkNestingDepth(bytes, descriptor: prototype.base.descriptor, messageName: Self.protoMessageName)")
                }
                writer.line("self = try ProtobufCCoding.decode(bytes, descriptor: prototype.base.descriptor, as: \(cType).self,")
                writer.line("                                  messageName: Self.protoMessageName, \(swiftName).init(cMessage:))")
            }
            writer.line()
            try writer.block("public func encode(appendingTo buffer: inout [UInt8])") {
                writer.line("ProtoArena.withArena { arena in")
                try writer.indent {
                    writer.line("ProtobufCCoding.encode(cMessage(in: arena), appendingTo: &buffer)")
                }
                writer.line("}")
            }
        }
    }

    private func emitProperty(_ field: FieldModel, in message: MessageModel) throws {
        writer.line()
        writer.docComment(file.comments[field.path])
        let name = Naming.swiftMember(Naming.lowerCamel(field.name))
        if let entry = try mapEntry(field, in: message.fullName) {
            let key = try elementType(entry.fields[0], in: entry.fullName)
            let value = try elementType(entry.fields[1], in: entry.fullName)
            writer.line("public var \(name): [\(key): \(value)] = [:]")
            return
        }
        let type = try elementType(field, in: message.fullName)
        if field.isRepeated {
            writer.line("public var \(name): [\(type)] = []")
        } else if field.type == .message {
            guard registry.isRecursive(field, in: message) else {
                writer.line("public var \(name): \(type)?")
                return
            }
            // The type contains this message: boxed storage keeps the struct finite.
            let storage = "_" + Naming.bare(name)
            try writer.block("public var \(name): \(type)?") {
                writer.line("get { \(storage)?.value }")
                writer.line("set { \(storage) = newValue.map(ProtoBox.init) }")
            }
            writer.line("private var \(storage): ProtoBox<\(type)>?")
        } else {
            writer.line("public var \(name): \(type) = \(try defaultValue(field, in: message.fullName))")
        }
    }

    /// The proto3 default of a singular non-message field.
    private func defaultValue(_ field: FieldModel, in message: String) throws -> String {
        switch field.type {
        case .bool: return "false"
        case .string: return "\"\""
        case .bytes: return "[]"
        case .enum: return try registry.enumeration(field.typeName, usedBy: message + "." + field.name).defaultCaseExpression
        case .message: return "nil"
        default: return "0"
        }
    }

    private func oneofMembers(_ index: Int, in message: MessageModel) -> [FieldModel] {
        message.fields.filter { $0.oneofIndex == index }
    }

    private func oneofTypeName(_ index: Int, in message: MessageModel) -> String {
        "OneOf_" + Naming.upperCamel(message.oneofNames[index])
    }

    private func oneofPropertyName(_ index: Int, in message: MessageModel) -> String {
        Naming.swiftMember(Naming.lowerCamel(message.oneofNames[index]))
    }

    private func emitOneofProperty(_ index: Int, in message: MessageModel) throws {
        writer.line()
        let path = message.path + [DescriptorPath.messageOneof, Int32(index)]
        writer.docComment(file.comments[path], fallback: "Which of the `\(message.oneofNames[index])` fields is set, if any.")
        writer.line("public var \(oneofPropertyName(index, in: message)): \(oneofTypeName(index, in: message))?")
    }

    private func emitOneofAccessorsAndEnum(_ index: Int, in message: MessageModel) throws {
        let property = oneofPropertyName(index, in: message)
        let members = oneofMembers(index, in: message)
        for field in members {
            let name = Naming.swiftMember(Naming.lowerCamel(field.name))
            let type = try elementType(field, in: message.fullName)
            let fallback = field.type == .message ? "\(type)()" : try defaultValue(field, in: message.fullName)
            writer.line()
            writer.docComment(file.comments[field.path], fallback: "The `\(field.name)` member of `\(message.oneofNames[index])`, or its default when it is not the one set; setting it selects it.")
            try writer.block("public var \(name): \(type)") {
                try writer.block("get") {
                    writer.line("if case .\(name)(let value)? = \(property) { return value }")
                    writer.line("return \(fallback)")
                }
                writer.line("set { \(property) = .\(name)(newValue) }")
            }
        }
        // A member whose type contains this message makes the enum recursive.
        let isIndirect = members.contains { $0.type == .message && registry.isRecursive($0, in: message) }
        writer.line()
        writer.line("/// The fields of the `\(message.oneofNames[index])` oneof.")
        try writer.block("public \(isIndirect ? "indirect " : "")enum \(oneofTypeName(index, in: message)): Sendable, Hashable") {
            for field in members {
                writer.line("case \(Naming.swiftMember(Naming.lowerCamel(field.name)))(\(try elementType(field, in: message.fullName)))")
            }
        }
    }

    // MARK: Conversion to and from protoc-c structs

    /// The extension converting a message (and, recursively, its nested messages) to and from C.
    func emitCoding(_ message: MessageModel) throws {
        let swiftName = try registry.entry(message.fullName, usedBy: message.fullName).swiftName
        let cType = Naming.cTypeName(message.fullName)
        writer.line()
        try writer.block("extension \(swiftName)") {
            writer.line("/// Converts the C struct libprotobuf-c unpacked.")
            try writer.block("init(cMessage c: UnsafePointer<\(cType)>) throws(ProtoDecodingError)") {
                writer.line("self.init()")
                for field in message.fields where field.oneofIndex == nil {
                    try emitDecode(field, in: message)
                }
                for (index, _) in message.oneofNames.enumerated() {
                    try emitOneofDecode(index, in: message)
                }
            }
            writer.line()
            writer.line("/// The message as a protoc-c struct whose memory `arena` owns.")
            try writer.block("func cMessage(in arena: ProtoArena) -> UnsafeMutablePointer<\(cType)>") {
                writer.line("let c = arena.message(\(cType).self, \(Naming.cFunctionPrefix(message.fullName))__init)")
                for field in message.fields where field.oneofIndex == nil {
                    try emitEncode(field, in: message)
                }
                for (index, _) in message.oneofNames.enumerated() {
                    try emitOneofEncode(index, in: message)
                }
                writer.line("return c")
            }
        }
        for nested in message.nestedMessages where !nested.isMapEntry {
            try emitCoding(nested)
        }
    }

    /// An expression converting one C value (`cValue`) of a field to Swift.
    private func decodeValue(_ field: FieldModel, _ cValue: String, in message: MessageModel) throws -> String {
        let type = try elementType(field, in: message.fullName)
        switch field.type {
        case .bool: return "\(cValue) != 0"
        case .enum: return "\(type)(rawValue: ProtobufCCoding.int32(\(cValue)))"
        case .string:
            return "try ProtobufCCoding.string(\(cValue), field: \(field.name.swiftLiteral), message: Self.protoMessageName)"
        case .bytes: return "ProtobufCCoding.bytes(\(cValue))"
        case .message: return "try ProtobufCCoding.message(\(cValue), \(type).init(cMessage:))"
        default: return cValue
        }
    }

    /// An expression converting one Swift value of a field to its C representation.
    private func encodeValue(_ field: FieldModel, _ value: String) -> String {
        switch field.type {
        case .bool: "\(value) ? 1 : 0"
        case .enum: "ProtobufCCoding.cEnum(\(value).rawValue)"
        case .string: "arena.cString(\(value))"
        case .bytes: "arena.binaryData(\(value))"
        case .message: "\(value).cMessage(in: arena)"
        default: value
        }
    }

    private func emitDecode(_ field: FieldModel, in message: MessageModel) throws {
        let property = "self." + Naming.swiftMember(Naming.lowerCamel(field.name))
        let member = "c.pointee." + Naming.cFieldName(field.name)
        let count = "c.pointee.n_" + Naming.cFieldName(field.name)
        let label = field.name.swiftLiteral
        if let entry = try mapEntry(field, in: message.fullName) {
            let valueField = entry.fields[1]
            var value = try decodeValue(valueField, "entry.pointee.value", in: message)
            if valueField.type == .message { value += " ?? \(try elementType(valueField, in: message.fullName))()" }
            try writer.block("for entry in try ProtobufCCoding.messages(\(member), count: \(count), field: \(label), message: Self.protoMessageName, { $0 })") {
                writer.line("let key = \(try decodeValue(entry.fields[0], "entry.pointee.key", in: message))")
                writer.line("\(property)[key] = \(value)")
            }
            return
        }
        guard field.isRepeated else {
            writer.line("\(property) = \(try decodeValue(field, member, in: message))")
            return
        }
        let type = try elementType(field, in: message.fullName)
        switch field.type {
        case .string:
            writer.line("\(property) = try ProtobufCCoding.strings(\(member), count: \(count), field: \(label), message: Self.protoMessageName)")
        case .bytes:
            writer.line("\(property) = ProtobufCCoding.byteArrays(\(member), count: \(count))")
        case .message:
            writer.line("\(property) = try ProtobufCCoding.messages(\(member), count: \(count), field: \(label), message: Self.protoMessageName, \(type).init(cMessage:))")
        case .bool:
            writer.line("\(property) = ProtobufCCoding.array(\(member), count: \(count)).map { $0 != 0 }")
        case .enum:
            writer.line("\(property) = ProtobufCCoding.array(\(member), count: \(count)).map { \(type)(rawValue: ProtobufCCoding.int32($0)) }")
        default:
            writer.line("\(property) = ProtobufCCoding.array(\(member), count: \(count))")
        }
    }

    private func emitEncode(_ field: FieldModel, in message: MessageModel) throws {
        let property = "self." + Naming.swiftMember(Naming.lowerCamel(field.name))
        let member = "c.pointee." + Naming.cFieldName(field.name)
        let count = "c.pointee.n_" + Naming.cFieldName(field.name)
        if let entry = try mapEntry(field, in: message.fullName) {
            let cEntry = Naming.cTypeName(entry.fullName)
            let order = entry.fields[0].type == .bool ? "{ !$0.key && $1.key }" : "{ $0.key < $1.key }"
            try writer.block("if !\(property).isEmpty") {
                writer.line("// Sorted by key, so equal maps encode to equal bytes.")
                writer.line("let entries = \(property).sorted \(order).map { entry in")
                try writer.indent {
                    writer.line("let cEntry = arena.message(\(cEntry).self, \(Naming.cFunctionPrefix(entry.fullName))__init)")
                    writer.line("cEntry.pointee.key = \(encodeValue(entry.fields[0], "entry.key"))")
                    writer.line("cEntry.pointee.value = \(encodeValue(entry.fields[1], "entry.value"))")
                    writer.line("return cEntry")
                }
                writer.line("}")
                writer.line("\(count) = entries.count")
                writer.line("\(member) = arena.pointers(entries)")
            }
            return
        }
        if field.isRepeated {
            let array: String
            switch field.type {
            case .string: array = "arena.cStrings(\(property))"
            case .bytes: array = "arena.binaryDataArray(\(property))"
            case .message: array = "arena.pointers(\(property).map { $0.cMessage(in: arena) })"
            case .bool: array = "arena.array(\(property).map { $0 ? 1 : 0 } as [Int32])"
            case .enum:
                array = "arena.array(\(property).map { ProtobufCCoding.cEnum($0.rawValue) as \(Naming.cTypeName(field.typeName)) })"
            default: array = "arena.array(\(property))"
            }
            try writer.block("if !\(property).isEmpty") {
                writer.line("\(count) = \(property).count")
                writer.line("\(member) = \(array)")
            }
            return
        }
        switch field.type {
        case .message:
            writer.line("if let value = \(property) { \(member) = value.cMessage(in: arena) }")
        case .string, .bytes:
            // Left at protoc-c's empty default when empty: proto3 does not encode defaults.
            writer.line("if !\(property).isEmpty { \(member) = \(encodeValue(field, property)) }")
        default:
            writer.line("\(member) = \(encodeValue(field, property))")
        }
    }

    private func emitOneofDecode(_ index: Int, in message: MessageModel) throws {
        let property = "self." + oneofPropertyName(index, in: message)
        writer.line("switch ProtobufCCoding.int32(c.pointee.\(Naming.cOneofCaseField(message.oneofNames[index]))) {")
        for field in oneofMembers(index, in: message) {
            let name = Naming.swiftMember(Naming.lowerCamel(field.name))
            var value = try decodeValue(field, "c.pointee." + Naming.cFieldName(field.name), in: message)
            if field.type == .message { value += " ?? \(try elementType(field, in: message.fullName))()" }
            writer.line("case \(field.number):")
            try writer.indent { writer.line("\(property) = .\(name)(\(value))") }
        }
        writer.line("default:")
        try writer.indent { writer.line("break") }
        writer.line("}")
    }

    private func emitOneofEncode(_ index: Int, in message: MessageModel) throws {
        let property = "self." + oneofPropertyName(index, in: message)
        let caseField = "c.pointee." + Naming.cOneofCaseField(message.oneofNames[index])
        writer.line("switch \(property) {")
        for field in oneofMembers(index, in: message) {
            // A set member is encoded even when it holds its type's default: that is what "set" means.
            writer.line("case .\(Naming.swiftMember(Naming.lowerCamel(field.name)))(let value)?:")
            try writer.indent {
                writer.line("\(caseField) = ProtobufCCoding.cEnum(\(field.number))")
                writer.line("c.pointee.\(Naming.cFieldName(field.name)) = \(encodeValue(field, "value"))")
            }
        }
        writer.line("case nil:")
        try writer.indent { writer.line("break") }
        writer.line("}")
    }
}
