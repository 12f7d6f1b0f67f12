// protoc-gen-medexpress-swift: a protoc plugin generating Swift messages (coded by libprotobuf-c),
// service providers, typed clients and embedded descriptors. protoc writes a CodeGeneratorRequest
// to stdin and reads a CodeGeneratorResponse from stdout.
import Glibc

let input = readStandardInput()
let response: PluginResponse
do {
    let request = try GeneratorRequest(decoding: input)
    response = .files(try Generator(request: request).generate())
} catch {
    response = .error(String(describing: error))
}
writeStandardOutput(response.encoded())
