import XCTest
@testable import RPCCore
@testable import RPCServer

final class RouterTests: XCTestCase {
    private struct Echo: RPCService {
        var methods: [ServerMethod] {
            [ServerMethod(descriptor: MethodDescriptor(service: "test.Echo", method: "Say", type: .unary)) { _, _ in }]
        }
    }

    private let router = Router(services: [Echo()])

    func testKnownPathRoutesToItsMethod() {
        guard case .found(let method) = router.route("/test.Echo/Say") else { return XCTFail("not routed") }
        XCTAssertEqual(method.descriptor.path, "/test.Echo/Say")
    }

    func testUnknownMethodOfAKnownServiceIsNamed() {
        guard case .unknownMethod(let service, let method) = router.route("/test.Echo/Shout") else { return XCTFail() }
        XCTAssertEqual(service, "test.Echo")
        XCTAssertEqual(method, "Shout")
    }

    func testUnknownServiceIsNamed() {
        guard case .unknownService(let service) = router.route("/test.Other/Say") else { return XCTFail() }
        XCTAssertEqual(service, "test.Other")
    }

    func testMalformedPathsAreUnknownServices() {
        for path in ["", "/", "test.Echo/Say", "/test.Echo/Say/extra"] {
            guard case .unknownService = router.route(path) else { return XCTFail("\(path) routed") }
        }
    }

    func testServiceNamesListsWhatIsServed() {
        XCTAssertEqual(router.serviceNames, ["test.Echo"])
    }
}

final class RequestIDTests: XCTestCase {
    func testOnlyShortPlainClientIDsAreKept() {
        XCTAssertTrue(RequestID.isAcceptable("req-42_a.b"))
        XCTAssertFalse(RequestID.isAcceptable(""))
        XCTAssertFalse(RequestID.isAcceptable("has space"))
        XCTAssertFalse(RequestID.isAcceptable("new\nline"))
        XCTAssertFalse(RequestID.isAcceptable(String(repeating: "a", count: RequestID.maxLength + 1)))
    }
}

final class MetadataRulesTests: XCTestCase {
    func testReservedAndMalformedEntriesAreNotSent() {
        func entry(_ key: String, _ value: String) -> Metadata.Entry { Metadata.Entry(key: key, value: .string(value)) }
        XCTAssertTrue(MetadataRules.isSendable(entry("x-custom", "ok")))
        XCTAssertFalse(MetadataRules.isSendable(entry("grpc-status", "0")))
        XCTAssertFalse(MetadataRules.isSendable(entry("content-type", "text/plain")))
        XCTAssertFalse(MetadataRules.isSendable(entry("te", "trailers")))
        XCTAssertFalse(MetadataRules.isSendable(entry("x-bad key", "v")))
        XCTAssertFalse(MetadataRules.isSendable(entry("x-bad-value", "line\nbreak")))
        XCTAssertTrue(MetadataRules.isSendable(Metadata.Entry(key: "trace-bin", value: .binary([0, 255]))))
    }
}

final class HeaderStringCacheTests: XCTestCase {
    private func string(_ cache: inout HeaderStringCache, _ text: String) -> String {
        Array(text.utf8).withUnsafeBytes { cache.string(for: $0) }
    }

    func testSameBytesGiveTheSameStringAndOthersTheirOwn() {
        var cache = HeaderStringCache()
        XCTAssertEqual(string(&cache, "/grpc.testing.TestService/UnaryCall"), "/grpc.testing.TestService/UnaryCall")
        XCTAssertEqual(string(&cache, "/grpc.testing.TestService/UnaryCall"), "/grpc.testing.TestService/UnaryCall")
        XCTAssertEqual(string(&cache, "/grpc.testing.TestService/EmptyCall"), "/grpc.testing.TestService/EmptyCall")
        XCTAssertEqual(string(&cache, ""), "")
    }

    func testMoreDistinctValuesThanItKeepsStayCorrect() {
        var cache = HeaderStringCache()
        for round in 0..<3 {
            for i in 0..<(HeaderStringCache.capacity * 2) {
                XCTAssertEqual(string(&cache, "value-\(i)"), "value-\(i)", "round \(round)")
            }
        }
        let long = String(repeating: "x", count: HeaderStringCache.maxEntryBytes + 1)
        XCTAssertEqual(string(&cache, long), long)
    }
}
