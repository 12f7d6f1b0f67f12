import Glibc

/// Which database the server uses: PostgreSQL when given a `postgres://` or `postgresql://`
/// URL (the `--database` flag or `MEDEXPRESS_DATABASE_URL`), otherwise SQLite in the data
/// directory.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server, as a libpq URL.
    case postgres(url: String)

    /// The SQLite file's name inside the data directory.
    public static let sqliteFileName = "medexpress.sqlite3"

    /// The location `url` names, or SQLite at `dataDirectory/medexpress.sqlite3` when `url` is
    /// nil or empty. Any other scheme is refused with `.invalidConfiguration`.
    public init(url: String?, dataDirectory: String) throws(StoreError) {
        guard let url = url?.trimmingWhitespace(), !url.isEmpty else {
            let directory = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
            self = .sqlite(path: "\(directory.isEmpty ? "." : directory)/\(Self.sqliteFileName)")
            return
        }
        let scheme = url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "postgres" || scheme == "postgresql", url.dropFirst(scheme.count).hasPrefix("://") else {
            throw .invalidConfiguration("the database URL must start with postgres:// or postgresql:// (or be empty for SQLite in the data directory); got scheme '\(scheme)'")
        }
        self = .postgres(url: url)
    }

    /// Opens the engine for this location. For SQLite, the file's directory is created (mode
    /// 0700) if missing.
    public func open() async throws -> any StoreEngine {
        switch self {
        case let .sqlite(path):
            if let slash = path.lastIndex(of: "/") {
                try Self.makeDirectory(String(path[..<slash]))
            }
            return try await SQLiteEngine(path: path)
        case let .postgres(url):
            return try await PostgresEngine(url: url)
        }
    }

    /// The location for logs: a URL's password is replaced by `***`.
    public var description: String {
        switch self {
        case let .sqlite(path):
            return "sqlite:\(path)"
        case let .postgres(url):
            return Self.redacted(url)
        }
    }

    private static func makeDirectory(_ path: String) throws(StoreError) {
        guard !path.isEmpty, mkdir(path, 0o700) != 0 else { return }
        let code = errno
        guard code != EEXIST else { return }
        throw .unavailable("cannot create the data directory \(path): \(String(cString: strerror(code)))")
    }

    /// `url` with its password, in the user-info part or a `password=` parameter, shown as ***.
    static func redacted(_ url: String) -> String {
        var text = url
        if let schemeEnd = text.firstRange(of: "://"),
           let at = text[schemeEnd.upperBound...].firstIndex(of: "@"),
           let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":") {
            text = String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
        }
        guard let query = text.firstIndex(of: "?") else { return text }
        let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
            parameter.lowercased().hasPrefix("password=") ? "password=***" : String(parameter)
        }
        return String(text[...query]) + parameters.joined(separator: "&")
    }
}
