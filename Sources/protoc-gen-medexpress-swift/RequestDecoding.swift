import CProtobufC
import GeneratedC

/// The largest CodeGeneratorRequest accepted; protoc's requests for this project are a few hundred KiB.
let maxRequestBytes = 64 << 20

/// A CodeGeneratorRequest decoded by libprotobuf-c and converted to Swift models.
struct GeneratorRequest {
    let filesToGenerate: [String]
    let parameter: String
    /// Every file protoc sent, dependencies first.
    let files: [FileModel]
}

extension GeneratorRequest {
    /// Decodes the request bytes protoc wrote to stdin.
    init(decoding bytes: [UInt8]) throws {
        let unpacked = bytes.withUnsafeBufferPointer { buffer in
            google__protobuf__compiler__code_generator_request__unpack(nil, buffer.count, buffer.baseAddress)
        }
        guard let request = unpacked else {
            throw GeneratorError("stdin is not a CodeGeneratorRequest")
        }
        defer { google__protobuf__compiler__code_generator_request__free_unpacked(request, nil) }
        filesToGenerate = cStrings(request.pointee.file_to_generate, request.pointee.n_file_to_generate)
        parameter = cString(request.pointee.parameter)
        var files: [FileModel] = []
        for file in cArray(request.pointee.proto_file, request.pointee.n_proto_file) {
            guard let file else { continue }
            files.append(try FileModel(file))
        }
        self.files = files
    }
}

extension FileModel {
    init(_ file: UnsafeMutablePointer<Google__Protobuf__FileDescriptorProto>) throws {
        name = cString(file.pointee.name)
        package = cString(file.pointee.package)
        isProto3 = cString(file.pointee.syntax) == "proto3"
        dependencies = cStrings(file.pointee.dependency, file.pointee.n_dependency)
        let prefix = package.isEmpty ? "" : package + "."
        messages = try cArray(file.pointee.message_type, file.pointee.n_message_type).enumerated().map {
            (index, message) throws in
            try MessageModel(message!, prefix: prefix, path: [DescriptorPath.fileMessageType, Int32(index)])
        }
        enums = cArray(file.pointee.enum_type, file.pointee.n_enum_type).enumerated().map { index, value in
            EnumModel(value!, prefix: prefix, path: [DescriptorPath.fileEnumType, Int32(index)])
        }
        services = try cArray(file.pointee.service, file.pointee.n_service).enumerated().map {
            (index, service) throws in
            try ServiceModel(service!, prefix: prefix, path: [DescriptorPath.fileService, Int32(index)])
        }
        extensions = cArray(file.pointee.extension, file.pointee.n_extension).enumerated().map { index, field in
            FieldModel(field!, scope: prefix, path: [DescriptorPath.fileExtension, Int32(index)])
        }
        var comments: [[Int32]: String] = [:]
        if let info = file.pointee.source_code_info {
            for location in cArray(info.pointee.location, info.pointee.n_location) {
                guard let location, let text = location.pointee.leading_comments else { continue }
                comments[cArray(location.pointee.path, location.pointee.n_path)] = String(cString: text)
            }
        }
        self.comments = comments
        serializedProto = packedWithoutSourceInfo(file)
    }
}

/// The file descriptor re-packed without source code info; unknown fields (custom options) are kept.
private func packedWithoutSourceInfo(_ file: UnsafeMutablePointer<Google__Protobuf__FileDescriptorProto>) -> [UInt8] {
    let sourceInfo = file.pointee.source_code_info
    file.pointee.source_code_info = nil
    defer { file.pointee.source_code_info = sourceInfo }
    let size = google__protobuf__file_descriptor_proto__get_packed_size(file)
    var bytes = [UInt8](repeating: 0, count: size)
    let written = bytes.withUnsafeMutableBufferPointer { google__protobuf__file_descriptor_proto__pack(file, $0.baseAddress) }
    precondition(written == size, "FileDescriptorProto packed to \(written) bytes, expected \(size)")
    return bytes
}

extension MessageModel {
    init(_ message: UnsafeMutablePointer<Google__Protobuf__DescriptorProto>, prefix: String, path: [Int32]) throws {
        name = cString(message.pointee.name)
        fullName = prefix + name
        self.path = path
        let scope = fullName + "."
        fields = cArray(message.pointee.field, message.pointee.n_field).enumerated().map { index, field in
            FieldModel(field!, scope: scope, path: path + [DescriptorPath.messageField, Int32(index)])
        }
        oneofNames = cArray(message.pointee.oneof_decl, message.pointee.n_oneof_decl).map { cString($0!.pointee.name) }
        nestedMessages = try cArray(message.pointee.nested_type, message.pointee.n_nested_type).enumerated().map {
            (index, nested) throws in
            try MessageModel(nested!, prefix: scope, path: path + [DescriptorPath.messageNestedType, Int32(index)])
        }
        nestedEnums = cArray(message.pointee.enum_type, message.pointee.n_enum_type).enumerated().map { index, value in
            EnumModel(value!, prefix: scope, path: path + [DescriptorPath.messageEnumType, Int32(index)])
        }
        extensions = cArray(message.pointee.extension, message.pointee.n_extension).enumerated().map { index, field in
            FieldModel(field!, scope: scope, path: path + [DescriptorPath.messageExtension, Int32(index)])
        }
        isMapEntry = message.pointee.options.map { $0.pointee.has_map_entry != 0 && $0.pointee.map_entry != 0 } ?? false
        if let optional = fields.first(where: \.isProto3Optional) {
            throw GeneratorError("\(fullName).\(optional.name) is a proto3 `optional` field, which protoc-c 1.4.1 "
                                 + "rejects; use a oneof or a wrapper message")
        }
    }
}

extension FieldModel {
    init(_ field: UnsafeMutablePointer<Google__Protobuf__FieldDescriptorProto>, scope: String, path: [Int32]) {
        name = cString(field.pointee.name)
        number = field.pointee.number
        // LABEL_REPEATED = 3 in descriptor.proto.
        isRepeated = Int32(truncatingIfNeeded: field.pointee.label.rawValue) == 3
        type = FieldType(rawValue: Int32(truncatingIfNeeded: field.pointee.type.rawValue)) ?? .group
        typeName = withoutLeadingDot(cString(field.pointee.type_name))
        oneofIndex = field.pointee.has_oneof_index != 0 ? Int(field.pointee.oneof_index) : nil
        isProto3Optional = field.pointee.has_proto3_optional != 0 && field.pointee.proto3_optional != 0
        extendee = withoutLeadingDot(cString(field.pointee.extendee))
        fullName = scope + name
        self.path = path
    }
}

extension EnumModel {
    init(_ value: UnsafeMutablePointer<Google__Protobuf__EnumDescriptorProto>, prefix: String, path: [Int32]) {
        name = cString(value.pointee.name)
        fullName = prefix + name
        self.path = path
        values = cArray(value.pointee.value, value.pointee.n_value).enumerated().map { index, value in
            EnumValueModel(name: cString(value!.pointee.name), number: value!.pointee.number,
                           path: path + [DescriptorPath.enumValue, Int32(index)])
        }
    }
}

extension ServiceModel {
    init(_ service: UnsafeMutablePointer<Google__Protobuf__ServiceDescriptorProto>, prefix: String, path: [Int32]) throws {
        name = cString(service.pointee.name)
        fullName = prefix + name
        self.path = path
        methods = try cArray(service.pointee.method, service.pointee.n_method).enumerated().map {
            (index, method) throws in
            try MethodModel(method!, path: path + [DescriptorPath.serviceMethod, Int32(index)])
        }
    }
}

extension MethodModel {
    init(_ method: UnsafeMutablePointer<Google__Protobuf__MethodDescriptorProto>, path: [Int32]) throws {
        name = cString(method.pointee.name)
        inputType = withoutLeadingDot(cString(method.pointee.input_type))
        outputType = withoutLeadingDot(cString(method.pointee.output_type))
        clientStreaming = method.pointee.has_client_streaming != 0 && method.pointee.client_streaming != 0
        serverStreaming = method.pointee.has_server_streaming != 0 && method.pointee.server_streaming != 0
        self.path = path
        guard let options = method.pointee.options else {
            idempotencyLevel = 0
            customOptions = []
            return
        }
        idempotencyLevel = options.pointee.has_idempotency_level != 0
            ? Int32(truncatingIfNeeded: options.pointee.idempotency_level.rawValue) : 0
        // Extensions of MethodOptions are unknown to protobuf-c's descriptor.proto code, which keeps
        // them as unknown fields in wire order.
        var custom: [UnknownOption] = []
        for field in cArray(options.pointee.base.unknown_fields, Int(options.pointee.base.n_unknown_fields)) {
            custom.append(try UnknownOption(field, method: name))
        }
        customOptions = custom
    }
}

extension UnknownOption {
    init(_ field: ProtobufCMessageUnknownField, method: String) throws {
        fieldNumber = Int(field.tag)
        let raw = cArray(field.data, field.len)
        guard field.wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED else {
            value = raw
            return
        }
        // protobuf-c keeps the length prefix of a length-delimited unknown field; CustomOption.value
        // holds the payload alone.
        var length = 0
        var shift = 0
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            length |= Int(byte & 0x7f) << shift
            index += 1
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 63 else { break }
        }
        guard index + length == raw.count else {
            throw GeneratorError("method \(method): custom option \(fieldNumber) has a malformed length prefix")
        }
        value = Array(raw[index...])
    }
}

func cString(_ pointer: UnsafePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

func cArray<T>(_ pointer: UnsafePointer<T>?, _ count: Int) -> [T] {
    guard let pointer, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: pointer, count: count))
}

func cStrings(_ pointer: UnsafePointer<UnsafeMutablePointer<CChar>?>?, _ count: Int) -> [String] {
    cArray(pointer, count).map { cString($0) }
}

func withoutLeadingDot(_ name: String) -> String {
    name.hasPrefix(".") ? String(name.dropFirst()) : name
}
