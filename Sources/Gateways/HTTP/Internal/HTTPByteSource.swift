/// Where a response is read from: a connection, or bytes in a test.
protocol HTTPByteSource: AnyObject {
    /// Reads at least one byte into `buffer`, waiting as the source's limits allow; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int
}
