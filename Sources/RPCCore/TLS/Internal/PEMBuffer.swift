import COpenSSL

/// Moves PEM text between Swift strings and OpenSSL memory BIOs.
enum PEMBuffer {
    /// Runs `body` with a read-only BIO over the UTF-8 of `text`.
    static func withBIO<Result>(reading text: String, _ body: (OpaquePointer) -> Result?) -> Result? {
        var text = text
        return text.withUTF8 { bytes -> Result? in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// The text `write` puts into a fresh memory BIO.
    static func write(_ write: (OpaquePointer) -> Bool) throws(TLSError) -> String {
        OpenSSLErrors.clear()
        guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSLFailure("BIO_new failed") }
        defer { BIO_free(bio) }
        guard write(bio) else { throw .openSSLFailure("PEM write: " + OpenSSLErrors.drain(or: "failed")) }
        return contents(of: bio)
    }

    /// Everything written to a memory BIO so far.
    static func contents(of bio: OpaquePointer) -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = medexpress_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
        }
    }
}
