import RPCCore
import Trust

/// A list's page token: where the previous page ended, "<instant in µs>.<id>", the instant being
/// what the list is ordered by (placed, opened, filed…) and the id breaking ties, so pages never
/// skip or repeat.
struct PageToken {
    let at: Int64
    let id: String

    init(at: Int64, id: String) {
        self.at = at
        self.id = id
    }

    /// The token `text` encodes; nil for an empty token; INVALID_ARGUMENT for one this server did
    /// not give (for a list of `prefix` ids).
    init?(_ text: String, of prefix: OpaqueID.Prefix) throws(Status) {
        if text.isEmpty { return nil }
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let at = Int64(parts[0]), OpaqueID.isWellFormed(String(parts[1]), prefix: prefix) else {
            throw Status(.invalidArgument, "page_token: not a token this method gave")
        }
        self.at = at
        id = String(parts[1])
    }

    var text: String { "\(at).\(id)" }
}

/// The page size a list call asked for: 0 means the method's default; more than its maximum is
/// INVALID_ARGUMENT naming `page_size`.
func checkedPageSize(_ requested: Int32, maximum: Int, default defaultSize: Int) throws(Status) -> Int {
    guard (0...maximum).contains(Int(requested)) else {
        throw Status(.invalidArgument, "page_size: 1 to \(maximum) (0 for \(defaultSize))")
    }
    return requested == 0 ? defaultSize : Int(requested)
}
