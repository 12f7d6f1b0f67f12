import Glibc

/// POSIX file handling for key files: read only when no one but the owner has access, create
/// atomically and never replace.
enum KeyFile {
    /// Permission bits that must be clear on a key file: any access by group or others.
    static let groupAndOtherBits: mode_t = 0o077

    /// The contents of the regular file at `path`, at most `maxBytes`, when its mode grants
    /// nothing to group or others. Mode and type are checked on the open descriptor, not the path.
    static func readOwnerOnly(at path: String, maxBytes: Int) throws(MasterKeyError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            if errno == ENOENT { throw .notFound(path: path) }
            throw .unreadable(path: path, reason: systemError())
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadable(path: path, reason: systemError()) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        guard status.st_mode & groupAndOtherBits == 0 else {
            throw .permissionsTooOpen(path: path, mode: UInt32(status.st_mode & 0o7777))
        }
        guard status.st_size <= maxBytes else {
            throw .malformed(source: path, reason: "the file is \(status.st_size) bytes, longer than a key file")
        }
        var contents = [UInt8](repeating: 0, count: maxBytes + 1)
        var length = 0
        while length < contents.count {
            let count = contents.withUnsafeMutableBytes { read(fd, $0.baseAddress! + length, $0.count - length) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .unreadable(path: path, reason: systemError()) }
            if count == 0 { break }
            length += count
        }
        guard length <= maxBytes else { throw .malformed(source: path, reason: "the file grew while being read") }
        return Array(contents[..<length])
    }

    /// Creates `path` holding `contents` with mode 0600 (its directory with 0700 if missing):
    /// written to a temporary file, synced, then linked into place, so no reader ever sees a
    /// partial key. False when `path` already exists, which is then left untouched.
    static func createExclusively(at path: String, contents: [UInt8]) throws(MasterKeyError) -> Bool {
        func failure(_ step: String) -> MasterKeyError { .writeFailed(path: path, reason: "\(step): \(systemError())") }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else { throw failure("creating directory \(directory)") }
        var template = Array((directory + "/.key.XXXXXX").utf8CString)
        // mkstemp creates the file with mode 0600: the key is never readable by others, even briefly.
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw failure("creating a temporary file in \(directory)") }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(temporaryPath) }
        var written = 0
        while written < contents.count {
            let count = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("writing")
                close(fd)
                throw error
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            let error = failure("syncing")
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure("closing") }
        // link(2), unlike rename(2), fails rather than replace a key another process just created.
        guard link(temporaryPath, path) == 0 else {
            if errno == EEXIST { return false }
            throw failure("linking into place")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw failure("opening \(directory) to sync it") }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw failure("syncing \(directory)") }
        return true
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
