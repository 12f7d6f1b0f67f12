import COpenSSL

/// The OpenSSL thread-local error queue.
enum OpenSSLErrors {
    /// Empties the queue so the next failure reports only its own errors.
    @inline(__always)
    static func clear() { ERR_clear_error() }

    /// Takes every queued error as one line, e.g. `certificate verify failed; ...`, or nil if none.
    static func drain() -> String? {
        var messages: [String] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var message: String
            if let reason = ERR_reason_error_string(code) {
                message = String(cString: reason)
            } else {
                message = "error 0x" + String(code, radix: 16)
            }
            if let data, flags & ERR_TXT_STRING != 0, data.pointee != 0 {
                message += " (\(String(cString: data)))"
            }
            if messages.last != message { messages.append(message) }
        }
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }

    /// The queued errors, or `fallback` when OpenSSL queued none.
    static func drain(or fallback: String) -> String { drain() ?? fallback }
}
