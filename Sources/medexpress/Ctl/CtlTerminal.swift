import Glibc

/// The controlling terminal (/dev/tty), for the questions ctl asks a person: the password (not
/// echoed), the TOTP code and barcode scans. Standard output stays free for tables and CSV.
///
/// Reads a character at a time with the terminal's own line editing and signals off, because the
/// process blocks SIGINT (see `Signals`): Ctrl-C here cancels the command itself.
enum CtlTerminal {
    /// The longest answer accepted, in bytes.
    static let maxAnswerBytes = 1024

    /// Whether standard output is a terminal (tables refresh in place only then).
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Asks `prompt` on the terminal and returns the line typed; nil when there is no terminal or
    /// at end of input (Ctrl-D on an empty line).
    static func ask(_ prompt: String, echo: Bool) throws -> String? {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var saved = termios()
        guard tcgetattr(descriptor, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        tcsetattr(descriptor, TCSAFLUSH, &raw)
        defer { tcsetattr(descriptor, TCSAFLUSH, &saved) }

        write(descriptor, prompt)
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            guard read(descriptor, &byte, 1) == 1 else { return nil }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                write(descriptor, "\n")
                return String(decoding: bytes, as: UTF8.self)
            case 0x03:
                write(descriptor, "^C\n")
                throw CtlFailure("cancelled")
            case 0x04 where bytes.isEmpty:
                write(descriptor, "\n")
                return nil
            case 0x7F, 0x08:
                guard !bytes.isEmpty else { continue }
                // Drop the last character: its UTF-8 continuation bytes, then its first byte.
                while let last = bytes.popLast(), last & 0xC0 == 0x80 {}
                if echo { write(descriptor, "\u{8} \u{8}") }
            default:
                guard byte >= 0x20 || byte == 0x09, bytes.count < maxAnswerBytes else { continue }
                bytes.append(byte)
                if echo { _ = Glibc.write(descriptor, &byte, 1) }
            }
        }
    }

    private static func write(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}
