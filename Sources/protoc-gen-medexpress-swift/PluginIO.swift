import CProtobufC
import GeneratedC
import Glibc

/// What the plugin answers protoc.
enum PluginResponse {
    case files([(name: String, content: String)])
    case error(String)

    /// The CodeGeneratorResponse, packed by libprotobuf-c.
    func encoded() -> [UInt8] {
        var strings: [UnsafeMutablePointer<CChar>] = []
        var files: [UnsafeMutablePointer<Google__Protobuf__Compiler__CodeGeneratorResponse__File>] = []
        defer {
            strings.forEach { free($0) }
            files.forEach { $0.deallocate() }
        }
        func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
            let copy = strdup(string)!
            strings.append(copy)
            return copy
        }
        var response = Google__Protobuf__Compiler__CodeGeneratorResponse()
        google__protobuf__compiler__code_generator_response__init(&response)
        // No optional features: proto3 `optional` is rejected (protoc-c 1.4.1 cannot compile it).
        response.has_supported_features = 1
        response.supported_features = 0
        switch self {
        case .error(let message):
            response.error = cString(message)
        case .files(let generated):
            for (name, content) in generated {
                let file = UnsafeMutablePointer<Google__Protobuf__Compiler__CodeGeneratorResponse__File>.allocate(capacity: 1)
                file.initialize(to: Google__Protobuf__Compiler__CodeGeneratorResponse__File())
                google__protobuf__compiler__code_generator_response__file__init(file)
                file.pointee.name = cString(name)
                file.pointee.content = cString(content)
                files.append(file)
            }
        }
        var filePointers = files.map { Optional($0) }
        return filePointers.withUnsafeMutableBufferPointer { pointers in
            response.n_file = pointers.count
            response.file = pointers.baseAddress
            let size = google__protobuf__compiler__code_generator_response__get_packed_size(&response)
            var bytes = [UInt8](repeating: 0, count: size)
            _ = bytes.withUnsafeMutableBufferPointer {
                google__protobuf__compiler__code_generator_response__pack(&response, $0.baseAddress)
            }
            return bytes
        }
    }
}

/// All of stdin, up to `maxRequestBytes`.
func readStandardInput() -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        precondition(count >= 0, "reading stdin failed: errno \(errno)")
        if count == 0 { return bytes }
        bytes += chunk[0..<count]
        precondition(bytes.count <= maxRequestBytes, "CodeGeneratorRequest larger than \(maxRequestBytes) bytes")
    }
}

/// Writes all of `bytes` to stdout.
func writeStandardOutput(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let count = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        precondition(count > 0, "writing stdout failed: errno \(errno)")
        offset += count
    }
}
