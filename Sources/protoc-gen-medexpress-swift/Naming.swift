/// Swift names in swift-protobuf's style, and the C names protoc-c 1.4.1 gives the same things.
enum Naming {
    // MARK: Swift

    /// Swift keywords that need backticks as identifiers.
    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "super", "throws",
        "true", "try",
    ]

    /// Identifiers that cannot be used even with backticks, or that would shadow generated members.
    static let reservedMembers: Set<String> = ["self", "Self", "Type", "Protocol", "protoMessageName", "hashValue"]

    /// Type names that a nested message or enum must not take, because generated code uses them.
    static let reservedTypeNames: Set<String> = [
        "Type", "Protocol", "Self", "Any", "String", "Bool", "Int", "Int32", "Int64", "UInt8", "UInt32", "UInt64",
        "Double", "Float", "Array", "Dictionary", "Optional", "Error", "Never", "Void", "Result", "ProtoBox",
        "ProtoArena", "ProtobufCCoding", "ProtoDecodingError", "ProtoMessage", "Method",
    ]

    /// `grpc.health.v1` -> `Grpc_Health_V1_`.
    static func swiftPrefix(package: String) -> String {
        guard !package.isEmpty else { return "" }
        return package.split(separator: ".").map { upperCamel(String($0)) }.joined(separator: "_") + "_"
    }

    /// `response_type` -> `ResponseType`, `v1` -> `V1`.
    static func upperCamel(_ name: String) -> String {
        let camel = lowerCamel(name)
        return camel.prefix(1).uppercased() + camel.dropFirst()
    }

    /// `response_type` -> `responseType`, `MyMap` -> `myMap`.
    static func lowerCamel(_ name: String) -> String {
        let parts = name.split(separator: "_").map(String.init)
        guard let first = parts.first else { return name }
        return first.prefix(1).lowercased() + first.dropFirst()
            + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// A nested type name Swift can declare.
    static func swiftTypeName(_ name: String) -> String {
        reservedTypeNames.contains(name) ? name + "Message" : name
    }

    /// A property, method or case name, backticked when it is a keyword.
    static func swiftMember(_ name: String) -> String {
        if reservedMembers.contains(name) { return name + "_p" }
        return swiftKeywords.contains(name) ? "`\(name)`" : name
    }

    /// A member name without backticks, for string interpolation into other identifiers.
    static func bare(_ member: String) -> String {
        member.filter { $0 != "`" }
    }

    /// The Swift case name of an enum value: the enum's name as a prefix is dropped
    /// (`ROLE_UNSPECIFIED` in `Role` -> `unspecified`), then SCREAMING_SNAKE becomes lowerCamel.
    static func enumCaseName(value: String, enumName: String) -> String {
        let stripped = strippingEnumPrefix(value, enumName: enumName)
        let parts = stripped.lowercased().split(separator: "_").map(String.init)
        guard let first = parts.first else { return value.lowercased() }
        return first + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    private static func strippingEnumPrefix(_ value: String, enumName: String) -> String {
        let prefix = Array(enumName.uppercased().filter { $0 != "_" })
        let characters = Array(value)
        var matched = 0
        var index = 0
        while index < characters.count, matched < prefix.count {
            if characters[index] == "_" { index += 1; continue }
            guard characters[index].uppercased() == String(prefix[matched]) else { return value }
            matched += 1
            index += 1
        }
        guard matched == prefix.count, index < characters.count, characters[index] == "_" else { return value }
        let rest = String(characters[(index + 1)...])
        guard let first = rest.first, !first.isNumber else { return value }
        return rest
    }

    // MARK: protoc-c

    /// C++ keywords protoc-c appends `_` to in field names.
    static let cKeywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class",
        "compl", "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else",
        "enum", "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
        "mutable", "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected",
        "public", "register", "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
        "static_cast", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
        "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
        "xor_eq",
    ]

    /// `grpc.testing.SimpleRequest` -> `Grpc__Testing__SimpleRequest`.
    static func cTypeName(_ fullName: String) -> String {
        fullName.split(separator: ".").map { cCamel(String($0)) }.joined(separator: "__")
    }

    /// `grpc.testing.SimpleRequest` -> `grpc__testing__simple_request`, the prefix of its C functions.
    static func cFunctionPrefix(_ fullName: String) -> String {
        fullName.split(separator: ".").map { cLower(String($0)) }.joined(separator: "__")
    }

    /// A field's member name in the C struct: lower-cased, `_` appended to C++ keywords.
    static func cFieldName(_ name: String) -> String {
        let lower = name.lowercased()
        return cKeywords.contains(lower) ? lower + "_" : lower
    }

    /// The C type of a oneof's case member, e.g. `Pkg__Msg__DeliveryCase`.
    static func cOneofCaseType(message: String, oneof: String) -> String {
        cTypeName(message) + "__" + cCamel(oneof) + "Case"
    }

    /// The C member holding a oneof's case, e.g. `delivery_case`.
    static func cOneofCaseField(_ oneof: String) -> String {
        oneof.lowercased() + "_case"
    }

    /// protoc-c's ToCamel: underscores dropped, the letter after each (and the first) upper-cased.
    private static func cCamel(_ name: String) -> String {
        var result = ""
        var nextIsUpper = true
        for character in name {
            if character == "_" {
                nextIsUpper = true
            } else if nextIsUpper {
                result += character.uppercased()
                nextIsUpper = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// protoc-c's CamelToLower: `_` before an upper-case letter that follows a non-upper-case one.
    private static func cLower(_ name: String) -> String {
        var result = ""
        var previousWasUpper = true
        for character in name {
            let isUpper = character.isUppercase
            if isUpper && !previousWasUpper { result += "_" }
            result += character.lowercased()
            previousWasUpper = isUpper
        }
        return result
    }
}
