import CLinux
import Glibc

/// A host and port to listen on or connect to (`127.0.0.1:50051`, `[::1]:50051`, `localhost:50051`).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or literal address, without brackets.
    public let host: String
    /// The TCP port; 0 asks the kernel for a free one when listening.
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, with IPv6 literals in brackets.
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (0...65535).contains(port) else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    /// Whether the host is a loopback name or address (plaintext is allowed only there).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Thin helpers over the BSD socket calls, for non-blocking TCP.
public enum Socket {
    /// Opens a non-blocking listening socket. With `reusePort`, several loops may each listen on
    /// the same port and the kernel spreads connections between them.
    public static func listen(on address: SocketAddress, reusePort: Bool, backlog: Int32 = 1024) throws(SystemError) -> (fd: Int32, port: Int) {
        let (storage, length, family) = try resolve(address, flags: AI_PASSIVE)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var bindStorage = storage
        let bound = withUnsafePointer(to: &bindStorage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SystemError("bind \(address)")
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SystemError("listen \(address)")
            close(fd)
            throw error
        }
        return (fd, localPort(of: fd))
    }

    /// Accepts one pending connection as a non-blocking socket, or nil when none is waiting.
    public static func accept(from listener: Int32) throws(SystemError) -> (fd: Int32, peer: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        if fd < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED { return nil }
            throw SystemError("accept4")
        }
        setNoDelay(fd)
        return (fd, describe(storage))
    }

    /// Starts a non-blocking connect to a resolved address (never blocks); completion is
    /// signalled by writability (check `pendingError`).
    public static func connect(to address: ResolvedAddress) throws(SystemError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        if result != 0 && errno != EINPROGRESS {
            let error = SystemError("connect \(address.description)")
            close(fd)
            throw error
        }
        setNoDelay(fd)
        return fd
    }

    /// Resolves a host and port (getaddrinfo: may block on DNS for a name).
    public static func resolve(_ address: SocketAddress) throws(SystemError) -> ResolvedAddress {
        let (storage, length, family) = try resolve(address, flags: AI_PASSIVE)
        return ResolvedAddress(storage: storage, length: length, family: family, description: address.description)
    }

    /// Every address getaddrinfo gives for a host and port, in its order (may block on DNS), each
    /// described by its numeric address. Duplicates (one per socket type) are dropped.
    public static func resolveAll(_ address: SocketAddress) throws(SystemError) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0 else {
            throw SystemError("getaddrinfo \(address.host): \(String(cString: gai_strerror(status)))", errno: EINVAL)
        }
        defer { freeaddrinfo(result) }
        var addresses: [ResolvedAddress] = []
        var next = result
        while let info = next {
            next = info.pointee.ai_next
            guard let source = info.pointee.ai_addr, Int(info.pointee.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(info.pointee.ai_addrlen)))
            }
            let resolved = ResolvedAddress(storage: storage, length: info.pointee.ai_addrlen, family: info.pointee.ai_family,
                                           description: describe(storage))
            if !addresses.contains(where: { $0.description == resolved.description }) { addresses.append(resolved) }
        }
        return addresses
    }

    /// Resolves a literal IPv4 or IPv6 address without any lookup; nil for a host name.
    public static func resolveNumeric(_ address: SocketAddress) -> ResolvedAddress? {
        guard let (storage, length, family) = try? resolve(address, flags: AI_NUMERICHOST) else { return nil }
        return ResolvedAddress(storage: storage, length: length, family: family, description: address.description)
    }

    /// The socket's pending error (SO_ERROR), 0 when a non-blocking connect succeeded.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    /// Disables Nagle's algorithm: gRPC frames are small and latency-sensitive.
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The local port a socket is bound to.
    public static func localPort(of fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return port(of: storage)
    }

    private static func resolve(_ address: SocketAddress, flags: Int32) throws(SystemError) -> (sockaddr_storage, socklen_t, Int32) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = flags
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let info = result else {
            throw SystemError("getaddrinfo \(address.host): \(String(cString: gai_strerror(status)))", errno: EINVAL)
        }
        defer { freeaddrinfo(result) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
        }
        return (storage, info.pointee.ai_addrlen, info.pointee.ai_family)
    }

    private static func port(of storage: sockaddr_storage) -> Int {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return 0
        }
    }

    /// The text before the terminating NUL of a C character buffer.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    var address = $0.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
                }
            }
            return "\(text(buffer)):\(port(of: storage))"
        case AF_INET6:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    var address = $0.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
                }
            }
            return "[\(text(buffer))]:\(port(of: storage))"
        default:
            return "unknown"
        }
    }
}

/// A socket address produced by name resolution, ready for `connect`.
public struct ResolvedAddress: @unchecked Sendable {
    let storage: sockaddr_storage
    let length: socklen_t
    let family: Int32
    /// The host and port it was resolved from, or (from `resolveAll`) the numeric address and port.
    public let description: String

    /// Resolves `address` to every address it has (`Socket.resolveAll`) on a short-lived thread of
    /// its own, so a DNS lookup never blocks an event loop, and reports the result through
    /// `completion` on that thread.
    public static func resolveInBackground(_ address: SocketAddress,
                                           completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void) {
        final class Work: @unchecked Sendable {
            let address: SocketAddress
            let completion: @Sendable (Result<[ResolvedAddress], SystemError>) -> Void
            init(_ address: SocketAddress, _ completion: @escaping @Sendable (Result<[ResolvedAddress], SystemError>) -> Void) {
                self.address = address
                self.completion = completion
            }
        }
        let context = Unmanaged.passRetained(Work(address, completion)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let work = Unmanaged<Work>.fromOpaque(context!).takeRetainedValue()
            do throws(SystemError) {
                work.completion(.success(try Socket.resolveAll(work.address)))
            } catch {
                work.completion(.failure(error))
            }
            return nil
        }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            let work = Unmanaged<Work>.fromOpaque(context).takeRetainedValue()
            work.completion(.failure(SystemError("pthread_create", errno: started)))
        }
    }
}
