import Foundation
import Synchronization
import XCTest
@testable import Store

/// The store suite on SQLite, each test with a fresh database file in a temporary directory,
/// plus what only SQLite has: the file's journal and sync modes, its permissions, its threads.
final class SQLiteStoreTests: StoreEngineTests {
    private var directory = ""
    private var path: String { "\(directory)/\(DatabaseLocation.sqliteFileName)" }

    override func setUp() async throws {
        if let parent = Self.childDatabase {
            directory = parent
            return
        }
        var template = Array("\(NSTemporaryDirectory())/medexpress-store-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        directory = String(cString: made)
    }

    override func tearDown() async throws {
        try await super.tearDown()
        if Self.childDatabase == nil { try? FileManager.default.removeItem(atPath: directory) }
    }

    override var databaseName: String { directory }

    override func makeEngine(_ shape: EngineShape) async throws -> any StoreEngine {
        var options = SQLiteEngine.Options()
        options.readerCount = shape.workers
        options.queueCapacity = shape.queueCapacity
        return try await SQLiteEngine(path: path, options: options)
    }

    override func waitingWrites(_ engine: any StoreEngine) -> Int {
        (engine as! SQLiteEngine).waitingWrites
    }

    func testDatabaseIsInWALModeWithFullSyncAndForeignKeys() async throws {
        let engine = try await engine()
        let (journal, synchronous, foreignKeys) = try await engine.write { transaction in
            (try transaction.query("PRAGMA journal_mode")[0].string("journal_mode"),
             try transaction.query("PRAGMA synchronous")[0].int64("synchronous"),
             try transaction.query("PRAGMA foreign_keys")[0].int64("foreign_keys"))
        }
        XCTAssertEqual(journal, "wal")
        XCTAssertEqual(synchronous, 2, "synchronous=FULL is 2")
        XCTAssertEqual(foreignKeys, 1)
        let readersSee = try await engine.read { try $0.query("PRAGMA journal_mode")[0].string("journal_mode") }
        XCTAssertEqual(readersSee, "wal")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    func testDatabaseFileIsReadableByItsOwnerOnly() async throws {
        let engine = try await engine()
        try await engine.write { try $0.execute("CREATE TABLE t (x BIGINT)") }
        for file in [path, path + "-wal", path + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, file)
        }
    }

    func testOneWriterThreadAndBoundedReaderThreads() async throws {
        let engine = try await engine(EngineShape(workers: 3))
        let writeThreads = Shared<Set<UInt>>([])
        let readThreads = Shared<Set<UInt>>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask { try await engine.write { _ in _ = writeThreads.update { $0.insert(UInt(pthread_self())) } } }
                group.addTask {
                    try await engine.read { _ in
                        _ = readThreads.update { $0.insert(UInt(pthread_self())) }
                        usleep(2000)
                    }
                }
            }
            try await group.waitForAll()
        }
        let writers = writeThreads.value
        let readers = readThreads.value
        XCTAssertEqual(writers.count, 1, "every write runs on the one writer thread")
        XCTAssertTrue((1...3).contains(readers.count), "reads ran on \(readers.count) threads")
        XCTAssertTrue(writers.isDisjoint(with: readers))
        XCTAssertFalse(writers.contains(UInt(pthread_self())))
    }

    func testEngineSizesAreBounded() async throws {
        for readers in [0, SQLiteEngine.Options.maxReaderCount + 1] {
            let error = await storeError { try await self.makeEngine(EngineShape(workers: readers)) }
            guard case .invalidConfiguration? = error else { return XCTFail("\(readers) readers: got \(String(describing: error))") }
        }
        let error = await storeError { try await self.makeEngine(EngineShape(queueCapacity: 0)) }
        guard case .invalidConfiguration? = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testPreparedStatementCacheIsBounded() throws {
        let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMilliseconds: 100,
                                              statementCacheCapacity: 3, maxRowsPerQuery: 10)
        for value in 0..<10 {
            let rows = try connection.run("SELECT \(value) AS v", collectingRows: true).rows
            XCTAssertEqual(try rows[0].int64("v"), Int64(value))
        }
        XCTAssertEqual(connection.cachedStatementCount, 3)
        let overflow = try? connection.run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11) SELECT i FROM n",
                                           collectingRows: true)
        XCTAssertNil(overflow, "a query past maxRowsPerQuery fails")
    }

    func testAnotherProcessHoldingTheWriteLockIsAConflictAfterTheBusyTimeout() async throws {
        var options = SQLiteEngine.Options()
        options.busyTimeoutMilliseconds = 50
        let first = try await SQLiteEngine(path: path, options: options)
        let second = try await SQLiteEngine(path: path, options: options)
        defer { Task { await first.close(); await second.close() } }
        let holding = Event()
        let release = Gate()
        let holder = Task {
            try await first.write { transaction in
                try transaction.execute("CREATE TABLE t (x BIGINT)")
                holding.set()
                release.pass()
            }
        }
        await holding.wait()
        let error = await storeError { try await second.write { try $0.execute("CREATE TABLE u (x BIGINT)") } }
        release.open()
        try await holder.value
        guard case .conflict? = error else { return XCTFail("got \(String(describing: error))") }
    }
}
