import Foundation
import Glibc
import XCTest
@testable import Store

/// A write the engine acknowledged survives the process being killed (issue 3: "a write the
/// server acknowledged survives kill -9").
extension StoreEngineTests {
    private static let writerCount = 8
    private static let maxWritesPerWriter = 20_000

    /// The test re-runs itself as a child process that writes from several tasks and prints
    /// `ack <id>` after each acknowledged commit; the parent kills it with SIGKILL mid-stream,
    /// reopens the database and expects every acknowledged row.
    func testEveryAcknowledgedWriteSurvivesKillDashNine() async throws {
        if Self.childDatabase != nil {
            return try await writeAndAcknowledgeUntilKilled()
        }
        let engine = try await engine()
        try await engine.write { try $0.execute("CREATE TABLE acks (id BIGINT PRIMARY KEY, writer BIGINT NOT NULL)") }
        await engine.close()

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["\(String(reflecting: Self.self))/testEveryAcknowledgedWriteSurvivesKillDashNine"]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.childDatabaseVariable: databaseName]) { $1 }
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        let acknowledged = Shared<[Int64]>([])
        let finished = Event()
        let reader = Thread {
            var pending = ""
            while case let data = output.fileHandleForReading.availableData, !data.isEmpty {
                pending += String(decoding: data, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = pending[..<newline]
                    pending = String(pending[pending.index(after: newline)...])
                    if line.hasPrefix("ack "), let id = Int64(line.dropFirst(4)) {
                        acknowledged.update { $0.append(id) }
                    }
                }
            }
            finished.set()
        }
        try child.run()
        reader.start()
        // Kill it under load: after a few hundred acknowledged commits.
        await eventually(seconds: 20) { acknowledged.value.count >= 300 || finished.isSet }
        kill(child.processIdentifier, SIGKILL)
        await finished.wait()
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal, "the child was killed, not finished")

        let acks = acknowledged.value
        XCTAssertGreaterThanOrEqual(acks.count, 300)
        let restarted = try await self.engine()
        let stored = try await restarted.read { Set(try $0.query("SELECT id FROM acks").map { try $0.int64("id") }) }
        let lost = acks.filter { !stored.contains($0) }
        XCTAssertEqual(lost, [], "\(lost.count) of \(acks.count) acknowledged writes were lost")
    }

    /// The child's side: write until killed (or a bound, should the parent have gone).
    private func writeAndAcknowledgeUntilKilled() async throws {
        let engine = try await engine()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<Self.writerCount {
                group.addTask {
                    for sequence in 0..<Self.maxWritesPerWriter {
                        let id = Int64(writer * Self.maxWritesPerWriter + sequence)
                        try await engine.write {
                            try $0.execute("INSERT INTO acks (id, writer) VALUES ($1, $2)", [.integer(id), .integer(Int64(writer))])
                        }
                        // One write(2) per line: lines from several threads never interleave.
                        let line = Array("ack \(id)\n".utf8)
                        _ = line.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
