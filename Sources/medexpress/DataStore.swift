import Glibc
import MedExpress
import RPCCore
import Store
import Trust

/// Where a command's data lives: the database (`--database URL`, else MEDEXPRESS_DATABASE_URL,
/// else SQLite in the data directory) and the master key (MEDEXPRESS_MASTER_KEY, else
/// DIR/keys/master.key, created with mode 0600 on first use by `serve`).
struct DataStore {
    static let databaseVariable = "MEDEXPRESS_DATABASE_URL"
    static let usage = """
      --data-dir DIR               data directory (default ./data)
      --database URL               postgres://… for PostgreSQL (default: MEDEXPRESS_DATABASE_URL, else SQLite in DIR)
    """

    let dataDirectory: String
    let databaseURL: String?

    init(_ arguments: inout Arguments) {
        dataDirectory = arguments.string("data-dir", default: "./data")
        databaseURL = arguments.string("database") ?? Self.environment(Self.databaseVariable)
    }

    /// Opens the database and brings its schema up to date.
    func openDatabase(log: Logger) async throws -> any StoreEngine {
        guard mkdir(dataDirectory, 0o700) == 0 || errno == EEXIST else {
            throw UsageError("cannot create the data directory \(dataDirectory): \(String(cString: strerror(errno)))")
        }
        let location = try DatabaseLocation(url: databaseURL, dataDirectory: dataDirectory)
        let engine = try await location.open()
        do {
            let applied = try await Migrator.migrate(engine, Schema.migrations)
            for migration in applied {
                log.info("schema migrated", ["version": String(migration.version), "name": migration.name])
            }
        } catch {
            await engine.close()
            throw error
        }
        log.info("database open", ["database": location.description])
        return engine
    }

    /// The master key; `create` makes DIR/keys/master.key when neither it nor the variable exists.
    func masterKey(create: Bool) throws -> MasterKey {
        if let text = Self.environment(MasterKey.environmentVariable) { return try MasterKey(base64: text) }
        let path = MasterKey.filePath(dataDirectory: dataDirectory)
        return create ? try MasterKey.createIfMissing(at: path) : try MasterKey.load(from: path)
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
