/// Turns a request into the generated files.
struct Generator {
    let request: GeneratorRequest

    func generate() throws -> [(name: String, content: String)] {
        guard request.parameter.isEmpty else {
            throw GeneratorError("unknown parameter \"\(request.parameter)\"; the plugin takes none")
        }
        let registry = TypeRegistry(files: request.files)
        var outputs: [(name: String, content: String)] = []
        var sources: [String: String] = [:]
        for name in request.filesToGenerate.sorted() {
            guard let file = request.files.first(where: { $0.name == name }) else {
                throw GeneratorError("protoc asked for \(name) but sent no descriptor for it")
            }
            let output = FileGenerator.outputName(for: name)
            if let other = sources[output] {
                throw GeneratorError("\(name) and \(other) would both generate \(output)")
            }
            sources[output] = name
            outputs.append((output, try FileGenerator(file: file, registry: registry).generate()))
        }
        outputs.append((DescriptorEmbedder.outputName, DescriptorEmbedder(files: request.files).generate()))
        return outputs
    }
}
