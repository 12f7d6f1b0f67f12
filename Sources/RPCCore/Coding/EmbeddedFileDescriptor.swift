/// A .proto file's descriptor compiled into the program, served by server reflection.
public struct EmbeddedFileDescriptor: Sendable, Hashable {
    /// The file's name relative to its import path, e.g. `grpc/testing/test.proto`.
    public let name: String
    /// The names of the files it imports, in declaration order.
    public let dependencies: [String]
    /// The serialized `google.protobuf.FileDescriptorProto`, without source code info.
    public let serializedProto: [UInt8]

    public init(name: String, dependencies: [String], serializedProto: [UInt8]) {
        self.name = name
        self.dependencies = dependencies
        self.serializedProto = serializedProto
    }

    /// A descriptor whose bytes are given as base64 text (the form generated code embeds, which
    /// compiles far faster than an array literal). Line breaks in the text are ignored.
    public init(name: String, dependencies: [String], base64SerializedProto: String) {
        guard let bytes = DescriptorBase64.decode(base64SerializedProto) else {
            preconditionFailure("embedded descriptor of \(name) is not valid base64")
        }
        self.init(name: name, dependencies: dependencies, serializedProto: bytes)
    }
}

/// An extension field declared in an embedded file.
public struct EmbeddedExtension: Sendable, Hashable {
    /// The fully qualified name of the message it extends, e.g. `google.protobuf.MethodOptions`.
    public let extendedType: String
    /// Its field number in the extended message.
    public let fieldNumber: Int
    /// Its fully qualified name, e.g. `medexpress.v1.auth`.
    public let fullName: String
    /// The file that declares it.
    public let fileName: String

    public init(extendedType: String, fieldNumber: Int, fullName: String, fileName: String) {
        self.extendedType = extendedType
        self.fieldNumber = fieldNumber
        self.fullName = fullName
        self.fileName = fileName
    }
}

/// Every embedded file with indexes by file name, symbol and extension.
public struct EmbeddedDescriptorSet: Sendable {
    /// The files, dependencies before the files that import them.
    public let files: [EmbeddedFileDescriptor]
    /// Fully qualified symbol (message, enum, service, method `pkg.Service.Method`, extension) to file name.
    public let symbols: [String: String]
    /// Every extension declared in the files.
    public let extensions: [EmbeddedExtension]
    private let filesByName: [String: EmbeddedFileDescriptor]

    public init(files: [EmbeddedFileDescriptor], symbols: [String: String], extensions: [EmbeddedExtension]) {
        self.files = files
        self.symbols = symbols
        self.extensions = extensions
        self.filesByName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The file with this name.
    public func file(named name: String) -> EmbeddedFileDescriptor? {
        filesByName[name]
    }

    /// The file declaring a fully qualified symbol; a leading `.` is ignored.
    public func file(containingSymbol symbol: String) -> EmbeddedFileDescriptor? {
        let name = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
        return symbols[name].flatMap(file(named:))
    }

    /// The file declaring the extension `fieldNumber` of `extendedType`.
    public func file(containingExtension fieldNumber: Int, of extendedType: String) -> EmbeddedFileDescriptor? {
        let type = extendedType.hasPrefix(".") ? String(extendedType.dropFirst()) : extendedType
        return extensions.first { $0.extendedType == type && $0.fieldNumber == fieldNumber }
            .flatMap { file(named: $0.fileName) }
    }

    /// The extension numbers of a message type, ascending; nil when the type is not embedded.
    public func extensionNumbers(of extendedType: String) -> [Int]? {
        let type = extendedType.hasPrefix(".") ? String(extendedType.dropFirst()) : extendedType
        guard symbols[type] != nil else { return nil }
        return extensions.filter { $0.extendedType == type }.map(\.fieldNumber).sorted()
    }

    /// A file followed by its transitive dependencies, each once, nearest first.
    public func fileWithDependencies(_ name: String) -> [EmbeddedFileDescriptor] {
        guard let root = file(named: name) else { return [] }
        var result: [EmbeddedFileDescriptor] = [root]
        var seen: Set<String> = [root.name]
        var next = 0
        while next < result.count {
            for dependency in result[next].dependencies where !seen.contains(dependency) {
                seen.insert(dependency)
                if let file = file(named: dependency) { result.append(file) }
            }
            next += 1
        }
        return result
    }
}

/// RFC 4648 base64 decoding of embedded descriptors.
enum DescriptorBase64 {
    /// The bytes `text` encodes, ignoring whitespace; nil when it is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for character in text.utf8 {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): padding += 1; continue
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2 ? bytes : nil
    }
}
