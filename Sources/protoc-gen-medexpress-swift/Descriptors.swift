/// The parts of a .proto file's descriptor the generator uses, as plain Swift values.
struct FileModel {
    let name: String
    let package: String
    let isProto3: Bool
    let dependencies: [String]
    let messages: [MessageModel]
    let enums: [EnumModel]
    let services: [ServiceModel]
    let extensions: [FieldModel]
    /// The serialized FileDescriptorProto without source code info, as reflection serves it.
    let serializedProto: [UInt8]
    /// Leading comments by source location path (see `SourceCodeInfo.Location.path`).
    let comments: [[Int32]: String]
}

struct MessageModel {
    let name: String
    let fullName: String
    let fields: [FieldModel]
    let oneofNames: [String]
    let nestedMessages: [MessageModel]
    let nestedEnums: [EnumModel]
    let extensions: [FieldModel]
    let isMapEntry: Bool
    let path: [Int32]
}

/// The wire types of `FieldDescriptorProto.Type`.
enum FieldType: Int32 {
    case double = 1, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes
    case uint32 = 13, `enum`, sfixed32, sfixed64, sint32, sint64
}

struct FieldModel {
    let name: String
    let number: Int32
    let isRepeated: Bool
    let type: FieldType
    /// The fully qualified message or enum type, without the leading dot.
    let typeName: String
    let oneofIndex: Int?
    let isProto3Optional: Bool
    /// For extensions: the fully qualified extended message, without the leading dot.
    let extendee: String
    /// For extensions: the fully qualified extension name.
    let fullName: String
    let path: [Int32]
}

struct EnumValueModel {
    let name: String
    let number: Int32
    let path: [Int32]
}

struct EnumModel {
    let name: String
    let fullName: String
    let values: [EnumValueModel]
    let path: [Int32]
}

struct ServiceModel {
    let name: String
    let fullName: String
    let methods: [MethodModel]
    let path: [Int32]
}

/// A field of an options message that protobuf-c did not know: a custom option.
struct UnknownOption {
    let fieldNumber: Int
    /// The value without tag (and without length prefix for length-delimited values).
    let value: [UInt8]
}

struct MethodModel {
    let name: String
    let inputType: String
    let outputType: String
    let clientStreaming: Bool
    let serverStreaming: Bool
    /// `MethodOptions.IdempotencyLevel`: 0 unknown, 1 NO_SIDE_EFFECTS, 2 IDEMPOTENT.
    let idempotencyLevel: Int32
    let customOptions: [UnknownOption]
    let path: [Int32]
}

/// Source location path components from descriptor.proto's field numbers.
enum DescriptorPath {
    static let fileMessageType: Int32 = 4
    static let fileEnumType: Int32 = 5
    static let fileService: Int32 = 6
    static let fileExtension: Int32 = 7
    static let messageField: Int32 = 2
    static let messageNestedType: Int32 = 3
    static let messageEnumType: Int32 = 4
    static let messageExtension: Int32 = 6
    static let messageOneof: Int32 = 8
    static let enumValue: Int32 = 2
    static let serviceMethod: Int32 = 2
}
