/// What a transaction object remembers between statements: its first failure, which fails
/// every later statement and the transaction itself (as PostgreSQL does, on both engines), and
/// whether its body has returned, after which the object must not be used.
struct TransactionState {
    /// The first statement failure, if any.
    private(set) var failure: StoreError?
    private var hasEnded = false

    /// Runs one statement of the transaction, remembering its failure.
    mutating func perform<Value>(_ statement: () throws(StoreError) -> Value) throws(StoreError) -> Value {
        guard !hasEnded else {
            throw .programmingError("a transaction was used after its body returned; it must not leave the closure")
        }
        if let failure {
            throw .programmingError("an earlier statement failed, so this transaction can only roll back; that failure: \(failure)")
        }
        do {
            return try statement()
        } catch {
            failure = error
            throw error
        }
    }

    /// Marks the body as returned.
    mutating func end() {
        hasEnded = true
    }
}
