/// Every message and enum of a request by fully qualified name, with the Swift and C names
/// generated code uses for it, and which singular fields need boxing because of recursion.
struct TypeRegistry {
    enum Kind {
        case message(MessageModel)
        case enumeration(EnumModel)
    }

    struct Entry {
        let kind: Kind
        let fullName: String
        /// The Swift type, qualified by its enclosing types, e.g. `Grpc_Health_V1_HealthCheckResponse.ServingStatus`.
        let swiftName: String
        let fileName: String
        let isProto3: Bool
    }

    private(set) var entries: [String: Entry] = [:]
    /// Method option extensions by field number: their full names.
    private(set) var methodOptionExtensions: [Int: String] = [:]
    /// Singular message fields (message full name, field number) on a cycle of singular fields.
    private var recursiveFields: Set<String> = []

    init(files: [FileModel]) {
        for file in files {
            let prefix = Naming.swiftPrefix(package: file.package)
            for message in file.messages {
                register(message, swiftName: prefix + (prefix.isEmpty ? Naming.swiftTypeName(message.name) : message.name),
                         file: file)
            }
            for value in file.enums {
                register(value, swiftName: prefix + (prefix.isEmpty ? Naming.swiftTypeName(value.name) : value.name),
                         file: file)
            }
            for field in file.extensions { registerExtension(field) }
        }
        findRecursiveFields()
    }

    private mutating func register(_ message: MessageModel, swiftName: String, file: FileModel) {
        entries[message.fullName] = Entry(kind: .message(message), fullName: message.fullName, swiftName: swiftName,
                                          fileName: file.name, isProto3: file.isProto3)
        for nested in message.nestedMessages {
            register(nested, swiftName: swiftName + "." + Naming.swiftTypeName(nested.name), file: file)
        }
        for value in message.nestedEnums {
            register(value, swiftName: swiftName + "." + Naming.swiftTypeName(value.name), file: file)
        }
        for field in message.extensions { registerExtension(field) }
    }

    private mutating func register(_ value: EnumModel, swiftName: String, file: FileModel) {
        entries[value.fullName] = Entry(kind: .enumeration(value), fullName: value.fullName, swiftName: swiftName,
                                        fileName: file.name, isProto3: file.isProto3)
    }

    private mutating func registerExtension(_ field: FieldModel) {
        if field.extendee == "google.protobuf.MethodOptions" {
            methodOptionExtensions[Int(field.number)] = field.fullName
        }
    }

    /// The entry of a type a generated declaration refers to.
    func entry(_ fullName: String, usedBy user: String) throws -> Entry {
        guard let entry = entries[fullName] else {
            throw GeneratorError("\(user) refers to unknown type \(fullName)")
        }
        guard entry.isProto3 else {
            throw GeneratorError("\(user) refers to \(fullName) from proto2 file \(entry.fileName); "
                                 + "Swift is generated for proto3 files only")
        }
        return entry
    }

    func message(_ fullName: String, usedBy user: String) throws -> MessageModel {
        guard case .message(let message) = try entry(fullName, usedBy: user).kind else {
            throw GeneratorError("\(user) expects \(fullName) to be a message")
        }
        return message
    }

    func enumeration(_ fullName: String, usedBy user: String) throws -> EnumModel {
        guard case .enumeration(let value) = try entry(fullName, usedBy: user).kind else {
            throw GeneratorError("\(user) expects \(fullName) to be an enum")
        }
        return value
    }

    /// Whether a singular message field must be boxed: its type contains its message through singular fields.
    func isRecursive(_ field: FieldModel, in message: MessageModel) -> Bool {
        recursiveFields.contains(message.fullName + "#" + String(field.number))
    }

    /// Whether a message's encoding can nest without bound: a cycle of message-typed fields
    /// (singular, repeated or map values) is reachable from it. libprotobuf-c unpacks nested
    /// messages recursively with no depth limit, so decoding such a type checks the depth first.
    func canNestWithoutBound(_ fullName: String) -> Bool {
        var edges: [String: [String]] = [:]
        for entry in entries.values {
            guard case .message(let message) = entry.kind else { continue }
            edges[message.fullName] = message.fields.filter { $0.type == .message }.map(\.typeName)
        }
        // Depth-first search from `fullName`; a node met again while still on the path is a cycle.
        var onPath: Set<String> = []
        var finished: Set<String> = []
        func visit(_ node: String) -> Bool {
            if onPath.contains(node) { return true }
            if finished.contains(node) { return false }
            onPath.insert(node)
            for next in edges[node] ?? [] where visit(next) { return true }
            onPath.remove(node)
            finished.insert(node)
            return false
        }
        return visit(fullName)
    }

    private mutating func findRecursiveFields() {
        var edges: [String: [String]] = [:]
        for entry in entries.values {
            guard case .message(let message) = entry.kind else { continue }
            edges[message.fullName] = message.fields.filter { !$0.isRepeated && $0.type == .message }.map(\.typeName)
        }
        func reaches(_ start: String, _ target: String) -> Bool {
            var stack = [start]
            var seen: Set<String> = []
            while let next = stack.popLast() {
                if next == target { return true }
                guard seen.insert(next).inserted else { continue }
                stack.append(contentsOf: edges[next] ?? [])
            }
            return false
        }
        for entry in entries.values {
            guard case .message(let message) = entry.kind else { continue }
            for field in message.fields where !field.isRepeated && field.type == .message
                && reaches(field.typeName, message.fullName) {
                recursiveFields.insert(message.fullName + "#" + String(field.number))
            }
        }
    }
}
