// swift-tools-version:6.0
// MedExpress RPC: a gRPC-compatible server and client kit on nghttp2, OpenSSL and protobuf-c.
// No package dependencies: C libraries are reached through system-library targets.
import PackageDescription

/// Release builds let the compiler inline and specialize across modules: the hot path crosses
/// RPCCore, Generated and RPCServer, and unspecialized generics cost runtime metadata lookups.
let fastAcrossModules: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "MedExpress",
    products: [
        .executable(name: "medexpress", targets: ["medexpress"]),
        .executable(name: "protoc-gen-medexpress-swift", targets: ["protoc-gen-medexpress-swift"]),
        .library(name: "ClientKit", targets: ["ClientKit"]),
    ],
    targets: [
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLinux"),
        // protoc-c's output for every .proto we use (make generate).
        .target(name: "GeneratedC", dependencies: ["CProtobufC"]),
        .target(name: "RPCCore", dependencies: ["CNGHTTP2", "COpenSSL", "CProtobufC", "CZlib", "CLinux"],
                swiftSettings: fastAcrossModules),
        // The Swift half of the generated code (make generate, protoc-gen-medexpress-swift).
        .target(name: "Generated", dependencies: ["RPCCore", "GeneratedC", "CProtobufC"], swiftSettings: fastAcrossModules),
        .executableTarget(name: "protoc-gen-medexpress-swift", dependencies: ["GeneratedC", "CProtobufC"]),
        .target(name: "RPCServer", dependencies: ["RPCCore", "Generated"], swiftSettings: fastAcrossModules),
        .target(name: "ClientKit", dependencies: ["RPCCore", "Generated"], swiftSettings: fastAcrossModules),
        .executableTarget(name: "medexpress", dependencies: ["RPCServer", "ClientKit", "Generated", "RPCCore"]),
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore"]),
        .testTarget(name: "GeneratedTests", dependencies: ["Generated", "RPCCore"]),
        .testTarget(name: "RPCServerTests", dependencies: ["RPCServer", "ClientKit", "Generated", "RPCCore"]),
        .testTarget(name: "ClientKitTests", dependencies: ["ClientKit", "RPCServer", "Generated", "RPCCore"]),
    ]
)
