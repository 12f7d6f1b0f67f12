/// Why a store operation failed, in the cases callers branch on. Messages name the constraint,
/// column, statement or setting involved but never a row's values (they may be personal data).
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A unique index or primary key refused a duplicate. `constraint` is the index's name as
    /// PostgreSQL reports it (a primary key is `<table>_pkey` on both engines).
    case uniqueViolation(constraint: String, message: String)
    /// A NOT NULL, CHECK, foreign-key or exclusion constraint refused the change. SQLite names
    /// CHECK constraints only; PostgreSQL names every kind.
    case constraintViolation(kind: ConstraintKind, constraint: String?, message: String)
    /// The transaction kept colliding with concurrent ones (serialization failure, deadlock,
    /// lock timeout) and was given up after `attempts` tries. Retrying later is safe.
    case conflict(attempts: Int, message: String)
    /// The database cannot be reached or cannot work: server down, connection lost, disk full,
    /// file unreadable, or the engine closed. Retrying later may succeed.
    case unavailable(String)
    /// A bounded queue in front of the database was full; the work was refused, not started.
    case overloaded(String)
    /// The database's schema does not match this binary's migration history, or a migration failed.
    case schema(String)
    /// The code asked for something impossible: invalid SQL, wrong parameters, a missing column,
    /// a value of the wrong type, a write in a read transaction. Retrying will not help.
    case programmingError(String)
    /// The database location or engine options are invalid.
    case invalidConfiguration(String)

    /// The kinds of constraint besides uniqueness.
    public enum ConstraintKind: String, Sendable, Hashable {
        case notNull = "NOT NULL"
        case check = "CHECK"
        case foreignKey = "FOREIGN KEY"
        case exclusion = "EXCLUSION"
        case other = "other"
    }

    /// Whether the same operation may succeed if tried again later.
    public var isTransient: Bool {
        switch self {
        case .conflict, .unavailable, .overloaded: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .uniqueViolation(constraint, message):
            "unique constraint \(constraint) violated: \(message)"
        case let .constraintViolation(kind, constraint, message):
            "\(kind.rawValue) constraint\(constraint.map { " \($0)" } ?? "") violated: \(message)"
        case let .conflict(attempts, message):
            "transaction conflicted with concurrent ones \(attempts) time\(attempts == 1 ? "" : "s"), giving up: \(message)"
        case let .unavailable(message):
            "database unavailable: \(message)"
        case let .overloaded(message):
            "store overloaded: \(message)"
        case let .schema(message):
            "database schema: \(message)"
        case let .programmingError(message):
            "store misuse: \(message)"
        case let .invalidConfiguration(message):
            "store configuration: \(message)"
        }
    }
}
