import Synchronization
import XCTest
@testable import RPCCore

final class EventLoopTests: XCTestCase {
    private var group: EventLoopGroup!

    override func setUp() {
        group = EventLoopGroup(count: 2)
    }

    override func tearDown() {
        group.shutdown()
        group = nil
    }

    func testExecuteRunsOnTheLoopThreadInOrder() async {
        let loop = group.loops[0]
        let order = Mutex<[Int]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for i in 0..<100 {
                loop.execute {
                    precondition(loop.inEventLoop)
                    order.withLock { $0.append(i) }
                    if i == 99 { done.resume() }
                }
            }
        }
        XCTAssertEqual(order.withLock { $0 }, Array(0..<100))
        XCTAssertFalse(loop.inEventLoop)
    }

    func testTimersFireInDeadlineOrderAndCancelledOnesDoNot() async {
        let loop = group.loops[0]
        let fired = Mutex<[String]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.scheduleTimer(after: .milliseconds(30)) { fired.withLock { $0.append("30") } }
                loop.scheduleTimer(after: .milliseconds(10)) { fired.withLock { $0.append("10") } }
                let cancelled = loop.scheduleTimer(after: .milliseconds(20)) { fired.withLock { $0.append("20") } }
                loop.cancelTimer(cancelled)
                loop.scheduleTimer(after: .milliseconds(50)) { done.resume() }
            }
        }
        XCTAssertEqual(fired.withLock { $0 }, ["10", "30"])
    }

    func testTimerDoesNotFireEarly() async {
        let loop = group.loops[1]
        let start = ContinuousClock.now
        let elapsed: Duration = await withCheckedContinuation { done in
            loop.execute {
                loop.scheduleTimer(after: .milliseconds(40)) { done.resume(returning: ContinuousClock.now - start) }
            }
        }
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(40))
    }

    func testTaskWithExecutorPreferenceRunsOnTheLoop() async {
        let loop = group.loops[1]
        let ranOnLoop = await Task(executorPreference: loop) { () async -> Bool in
            await Task.yield()
            return loop.inEventLoop
        }.value
        XCTAssertTrue(ranOnLoop)
    }

    func testEndOfTickRunsAfterTheIterationsWork() async {
        let loop = group.loops[0]
        let events = Mutex<[String]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.atEndOfTick {
                    events.withLock { $0.append("flush") }
                    done.resume()
                }
                loop.executeLocal { events.withLock { $0.append("local") } }
            }
        }
        XCTAssertEqual(events.withLock { $0 }, ["local", "flush"])
    }

    func testWorkQueuedAfterTheLoopStoppedStillRuns() async {
        let group = EventLoopGroup(count: 1)
        let loop = group.loops[0]
        group.shutdown()
        let ran = Mutex(false)
        loop.execute { ran.withLock { $0 = true } }
        XCTAssertTrue(ran.withLock { $0 }, "execute after stop runs in place")
        let value = await Task(executorPreference: loop) { () async -> Int in
            await Task.yield()
            return 42
        }.value
        XCTAssertEqual(value, 42, "a task preferring a stopped loop still completes")
    }

    func testRoundRobinCoversEveryLoop() {
        let picked = Set((0..<4).map { _ in group.nextLoop().index })
        XCTAssertEqual(picked, [0, 1])
    }
}

final class SocketAddressTests: XCTestCase {
    func testParsesHostsAndPorts() {
        XCTAssertEqual(SocketAddress(parsing: "127.0.0.1:50051"), SocketAddress(host: "127.0.0.1", port: 50051))
        XCTAssertEqual(SocketAddress(parsing: "[::1]:80"), SocketAddress(host: "::1", port: 80))
        XCTAssertEqual(SocketAddress(parsing: "localhost:0"), SocketAddress(host: "localhost", port: 0))
        XCTAssertNil(SocketAddress(parsing: "localhost"))
        XCTAssertNil(SocketAddress(parsing: ":80"))
        XCTAssertNil(SocketAddress(parsing: "host:70000"))
        XCTAssertNil(SocketAddress(parsing: "[::1]80"))
    }

    func testLoopbackDetection() {
        XCTAssertTrue(SocketAddress(host: "127.0.0.1", port: 1).isLoopback)
        XCTAssertTrue(SocketAddress(host: "127.8.0.2", port: 1).isLoopback)
        XCTAssertTrue(SocketAddress(host: "::1", port: 1).isLoopback)
        XCTAssertTrue(SocketAddress(host: "localhost", port: 1).isLoopback)
        XCTAssertFalse(SocketAddress(host: "0.0.0.0", port: 1).isLoopback)
        XCTAssertFalse(SocketAddress(host: "10.0.0.1", port: 1).isLoopback)
    }
}

final class MetadataTests: XCTestCase {
    func testKeysAreLowerCasedAndOrderKept() {
        var metadata: Metadata = ["X-One": "1"]
        metadata.add("x-two", "2")
        metadata.add("X-One", "3")
        metadata.add("trace-bin", binary: [0, 1, 2])
        XCTAssertEqual(metadata["x-one"], "1")
        XCTAssertEqual(metadata.values("X-ONE"), [.string("1"), .string("3")])
        XCTAssertEqual(metadata.binary("trace-bin"), [0, 1, 2])
        XCTAssertEqual(metadata.map(\.key), ["x-one", "x-two", "x-one", "trace-bin"])
        metadata.replace("x-one", "4")
        XCTAssertEqual(metadata.values("x-one"), [.string("4")])
    }

    func testLookupsIgnoreTheCaseOfTheKeyAsked() {
        var metadata = Metadata()
        metadata.add(lowercasedKey: "x-request-id", value: .string("abc"))
        metadata.add("Trace-Bin", binary: [9])
        XCTAssertEqual(metadata["X-Request-ID"], "abc")
        XCTAssertEqual(metadata["x-request-id"], "abc")
        XCTAssertEqual(metadata.values("X-REQUEST-ID"), [.string("abc")])
        XCTAssertEqual(metadata.binary("TRACE-BIN"), [9])
        XCTAssertNil(metadata["x-request-ix"], "same length, different key")
        XCTAssertNil(metadata["x-request"], "a prefix is not the key")
    }
}
