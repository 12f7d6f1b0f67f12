/// A small command-line flag reader: `--name value`, `--name=value` and boolean `--name`.
struct Arguments {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    private var consumed: Set<String> = []

    /// Parses `arguments`; `booleanFlags` take no value.
    init(_ arguments: ArraySlice<String>, booleanFlags: Set<String>) throws(UsageError) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard argument.hasPrefix("--") else { throw UsageError("unexpected argument \(argument)") }
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                values[String(body[..<equals])] = String(body[body.index(after: equals)...])
            } else if booleanFlags.contains(String(body)) {
                flags.insert(String(body))
            } else {
                guard let value = iterator.next() else { throw UsageError("--\(body) needs a value") }
                values[String(body)] = value
            }
        }
    }

    /// A string option.
    mutating func string(_ name: String) -> String? {
        consumed.insert(name)
        return values[name]
    }

    /// A string option with a default.
    mutating func string(_ name: String, default value: String) -> String {
        string(name) ?? value
    }

    /// An integer option within a range.
    mutating func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = string(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return number
    }

    /// A boolean flag.
    mutating func flag(_ name: String) -> Bool {
        consumed.insert(name)
        return flags.contains(name)
    }

    /// Fails on options no command asked for (typos must not pass silently).
    func rejectUnknown() throws(UsageError) {
        let unknown = Set(values.keys).union(flags).subtracting(consumed)
        if let first = unknown.sorted().first { throw UsageError("unknown option --\(first)") }
    }
}

/// A mistake on the command line; printed with the usage text, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
