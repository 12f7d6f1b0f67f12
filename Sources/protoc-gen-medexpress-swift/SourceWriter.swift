/// Accumulates generated Swift source with four-space indentation.
final class SourceWriter {
    private(set) var text = ""
    private var indentation = ""

    /// Appends one line at the current indentation (an empty line has no trailing spaces).
    func line(_ line: String = "") {
        text += line.isEmpty ? "\n" : indentation + line + "\n"
    }

    /// Appends each line of a block of text at the current indentation.
    func lines(_ block: String) {
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) { self.line(String(line)) }
    }

    /// Appends lines written by `body` one level deeper.
    func indent(_ body: () throws -> Void) throws {
        indentation += "    "
        defer { indentation.removeLast(4) }
        try body()
    }

    /// `header {`, the indented body, `}`.
    func block(_ header: String, _ body: () throws -> Void) throws {
        line(header + " {")
        try indent(body)
        line("}")
    }

    /// Doc comment lines from a proto comment, or `fallback` when there is none.
    func docComment(_ comment: String?, fallback: String? = nil) {
        if let comment, !comment.trimmingWhitespace.isEmpty {
            var commentLines = comment.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            while commentLines.last?.trimmingWhitespace.isEmpty == true { commentLines.removeLast() }
            for commentLine in commentLines {
                let trimmed = commentLine.hasPrefix(" ") ? String(commentLine.dropFirst()) : commentLine
                line(trimmed.isEmpty ? "///" : "/// " + trimmed)
            }
        } else if let fallback {
            line("/// " + fallback)
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// The string as a Swift string literal.
    var swiftLiteral: String {
        var result = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
