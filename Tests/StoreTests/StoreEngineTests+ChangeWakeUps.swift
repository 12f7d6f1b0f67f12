import XCTest
@testable import Store

/// Live views wait for change wake-ups instead of polling: a write that announces a change wakes
/// them when it commits, and never when it rolls back.
extension StoreEngineTests {
    private struct RolledBack: Error {}

    func testAnnouncedChangeWakesWaitingReadersWhenItCommits() async throws {
        let engine = try await engine()
        let wakeUps = Collected(try engine.changeWakeUps())
        await eventually { wakeUps.elements.count == 1 } // the stream is in effect
        try await engine.write { transaction in
            try transaction.announceChange()
            try transaction.announceChange()
        }
        await eventually { wakeUps.elements.count == 2 }
        try await engine.write { try $0.execute("CREATE TABLE quiet (id BIGINT PRIMARY KEY)") }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(wakeUps.elements.count, 2, "one wake-up per announcing commit, none for other writes")
    }

    func testAnnouncedChangeThatRollsBackWakesNoOne() async throws {
        let engine = try await engine()
        let wakeUps = Collected(try engine.changeWakeUps())
        await eventually { wakeUps.elements.count == 1 }
        do {
            try await engine.write { transaction in
                try transaction.announceChange()
                throw RolledBack()
            }
            XCTFail("the write should have rolled back")
        } catch is RolledBack {}
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(wakeUps.elements.count, 1)
    }

    func testClosingTheEngineEndsItsWakeUpStreams() async throws {
        let engine = try await makeEngine(EngineShape())
        let wakeUps = Collected(try engine.changeWakeUps())
        await engine.close()
        await wakeUps.ended.wait(seconds: 5)
        let error = await storeError { try engine.changeWakeUps() }
        guard case .unavailable? = error else { return XCTFail("got \(String(describing: error))") }
    }
}
