/// One Swift case of a generated enum.
struct EnumCase {
    let name: String
    let number: Int32
    let value: EnumValueModel
    /// A later value with the number of an earlier one (`allow_alias`): a static alias, not a case.
    let isAlias: Bool
}

extension EnumModel {
    /// The Swift cases, named without the enum's prefix unless that makes two names equal.
    var swiftCases: [EnumCase] {
        let stripped = values.map { Naming.enumCaseName(value: $0.name, enumName: name) }
        let useStripped = Set(stripped).count == stripped.count
        var seenNumbers: Set<Int32> = []
        return values.enumerated().map { index, value in
            var caseName = useStripped ? stripped[index] : Naming.enumCaseName(value: value.name, enumName: "")
            if caseName == "unrecognized" { caseName += "_" }
            return EnumCase(name: Naming.swiftMember(caseName), number: value.number, value: value,
                            isAlias: !seenNumbers.insert(value.number).inserted)
        }
    }

    /// The case for the value 0, the proto3 default.
    var defaultCaseExpression: String {
        if let zero = swiftCases.first(where: { $0.number == 0 && !$0.isAlias }) { return "." + zero.name }
        return ".init(rawValue: 0)"
    }
}

extension FileGenerator {
    /// A Swift enum that keeps values it does not declare in `unrecognized`.
    func emitEnum(_ model: EnumModel, declarationName: String) throws {
        let cases = model.swiftCases
        let primary = cases.filter { !$0.isAlias }
        writer.docComment(file.comments[model.path], fallback: "The `\(model.fullName)` enum.")
        try writer.block("public enum \(declarationName): RawRepresentable, CaseIterable, Sendable, Hashable") {
            for enumCase in primary {
                writer.docComment(file.comments[enumCase.value.path], fallback: "`\(enumCase.value.name)` (\(enumCase.number)).")
                writer.line("case \(enumCase.name)")
            }
            writer.line("/// A value this version of the enum does not declare, kept as received.")
            writer.line("case unrecognized(Int32)")
            for alias in cases where alias.isAlias {
                let target = primary.first { $0.number == alias.number }!
                writer.line()
                writer.docComment(file.comments[alias.value.path], fallback: "An alias of `.\(Naming.bare(target.name))`.")
                writer.line("public static let \(alias.name) = \(declarationName).\(target.name)")
            }
            writer.line()
            writer.line("/// The proto3 default, value 0.")
            writer.line("public init() { self = \(model.defaultCaseExpression) }")
            writer.line()
            try writer.block("public init(rawValue: Int32)") {
                writer.line("switch rawValue {")
                for enumCase in primary { writer.line("case \(enumCase.number): self = .\(enumCase.name)") }
                writer.line("default: self = .unrecognized(rawValue)")
                writer.line("}")
            }
            writer.line()
            try writer.block("public var rawValue: Int32") {
                writer.line("switch self {")
                for enumCase in primary { writer.line("case .\(enumCase.name): return \(enumCase.number)") }
                writer.line("case .unrecognized(let value): return value")
                writer.line("}")
            }
            writer.line()
            writer.line("/// The value's name as the .proto declares it, or its number when undeclared.")
            try writer.block("public var protoName: String") {
                writer.line("switch self {")
                for enumCase in primary { writer.line("case .\(enumCase.name): return \"\(enumCase.value.name)\"") }
                writer.line("case .unrecognized(let value): return String(value)")
                writer.line("}")
            }
            writer.line()
            writer.line("public static let allCases: [\(declarationName)] = [\(primary.map { "." + $0.name }.joined(separator: ", "))]")
        }
    }
}
