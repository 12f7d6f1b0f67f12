// swift-tools-version:6.0
// MedExpress RPC: a gRPC-compatible server and client kit on nghttp2, OpenSSL and protobuf-c.
// No package dependencies: C libraries are reached through system-library targets.
import PackageDescription

/// Release builds let the compiler inline and specialize across modules: the hot path crosses
/// RPCCore, Generated and RPCServer, and unspecialized generics cost runtime metadata lookups.
let fastAcrossModules: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

/// The transport's hot path (loop-confined connection, stream and arena state, all `final class`
/// properties) pays a runtime exclusivity check, a thread-local lookup, on every property access:
/// about 7% of a unary call's instructions. Release builds of the transport modules skip the
/// dynamic check; debug builds, which every test runs, keep it, and static checks stay on.
let uncheckedExclusivity: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// Async functions run on their caller's executor unless they say otherwise (SE-0461): a call's
/// handler, its interceptors and the stream operations they await then stay on the task's
/// executor (the connection's loop) without a runtime executor switch at every call and return.
/// Every target uses it: a protocol's async closure types (interceptors' `next`) must read alike
/// in the module declaring them and in those conforming.
let callerIsolation: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

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
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // protoc-c's output for every .proto we use (make generate).
        .target(name: "GeneratedC", dependencies: ["CProtobufC"]),
        .target(name: "RPCCore", dependencies: ["CNGHTTP2", "COpenSSL", "CProtobufC", "CZlib", "CLinux"],
                swiftSettings: fastAcrossModules + callerIsolation + uncheckedExclusivity),
        // The Swift half of the generated code (make generate, protoc-gen-medexpress-swift).
        .target(name: "Generated", dependencies: ["RPCCore", "GeneratedC", "CProtobufC"],
                swiftSettings: fastAcrossModules + callerIsolation),
        .executableTarget(name: "protoc-gen-medexpress-swift", dependencies: ["GeneratedC", "CProtobufC"],
                         swiftSettings: callerIsolation),
        .target(name: "RPCServer", dependencies: ["RPCCore", "Generated"],
                swiftSettings: fastAcrossModules + callerIsolation + uncheckedExclusivity),
        // The store: one transaction API, SQLite and PostgreSQL engines, one migration history.
        .target(name: "Store", dependencies: ["CSQLite", "CLibPQ", "RPCCore"], swiftSettings: callerIsolation),
        // Cryptography for the trust foundation: field encryption, key ring, blind index,
        // password hashing, TOTP, identifiers (OpenSSL).
        .target(name: "Trust", dependencies: ["COpenSSL"], swiftSettings: callerIsolation),
        // The domain in plain Swift: catalog, clinical rules, pricing, the order state machine,
        // prescriptions; it imports no transport, database driver or C module.
        .target(name: "Domain", swiftSettings: callerIsolation),
        // The gateways to the outside world behind the domain's seams (payments, courier, email):
        // the real protocols (Stripe, Royal Mail Click & Drop, SMTP) and the built-in local ones.
        .target(name: "Gateways", dependencies: ["Domain", "RPCCore", "COpenSSL"], swiftSettings: callerIsolation),
        // The product: identities, authorization, audit and the medexpress.v1 services.
        .target(name: "MedExpress", dependencies: ["Domain", "Gateways", "RPCServer", "Store", "Trust", "Generated", "RPCCore"],
                swiftSettings: callerIsolation),
        .target(name: "ClientKit", dependencies: ["RPCCore", "Generated"], swiftSettings: fastAcrossModules + callerIsolation),
        .executableTarget(name: "medexpress", dependencies: ["MedExpress", "Domain", "Gateways", "Store", "Trust", "RPCServer", "ClientKit", "Generated", "RPCCore"],
                         swiftSettings: callerIsolation),
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore"], swiftSettings: callerIsolation),
        .testTarget(name: "GeneratedTests", dependencies: ["Generated", "RPCCore"], swiftSettings: callerIsolation),
        .testTarget(name: "RPCServerTests", dependencies: ["RPCServer", "ClientKit", "Generated", "RPCCore"], swiftSettings: callerIsolation),
        .testTarget(name: "StoreTests", dependencies: ["Store", "RPCCore"], swiftSettings: callerIsolation),
        .testTarget(name: "MedExpressTests", dependencies: ["MedExpress", "Domain", "Gateways", "RPCServer", "ClientKit", "Store", "Trust", "Generated", "RPCCore"],
                    swiftSettings: callerIsolation),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: callerIsolation),
        .testTarget(name: "GatewaysTests", dependencies: ["Gateways", "Domain", "RPCCore"], swiftSettings: callerIsolation),
        .testTarget(name: "TrustTests", dependencies: ["Trust"], swiftSettings: callerIsolation),
        .testTarget(name: "ClientKitTests", dependencies: ["ClientKit", "RPCServer", "Generated", "RPCCore"], swiftSettings: callerIsolation),
    ]
)
