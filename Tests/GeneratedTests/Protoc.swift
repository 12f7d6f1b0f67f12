import Foundation

/// Runs the machine's protoc over the project's protos, as the reference encoder and decoder.
enum Protoc {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The repository's Protos directory, found from this file's path.
    static let protosDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protos").path

    /// `protoc --encode=<type>`: text format in, wire bytes out.
    static func encode(_ text: String, as type: String, in proto: String) throws -> [UInt8] {
        try run(["--encode=\(type)", proto], input: Array(text.utf8))
    }

    /// `protoc --decode=<type>`: wire bytes in, text format out.
    static func decode(_ bytes: [UInt8], as type: String, in proto: String) throws -> String {
        String(decoding: try run(["--decode=\(type)", proto], input: bytes), as: UTF8.self)
    }

    private static func run(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["protoc", "-I\(protosDirectory)", "-I/usr/include"] + arguments
        let stdin = Pipe()
        let stdout = FileManager.default.temporaryDirectory.appendingPathComponent("protoc-\(UUID().uuidString).out")
        let stderr = Pipe()
        guard FileManager.default.createFile(atPath: stdout.path, contents: nil) else {
            throw Failure(description: "cannot create \(stdout.path)")
        }
        defer { try? FileManager.default.removeItem(at: stdout) }
        let output = try FileHandle(forWritingTo: stdout)
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        try output.close()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "protoc \(arguments.joined(separator: " ")) failed: \(errors)")
        }
        return Array(try Data(contentsOf: stdout))
    }
}
