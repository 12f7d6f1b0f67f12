extension StringProtocol {
    /// The text without white space (Unicode's, as `Character.isWhitespace` sees it) at either end.
    func trimmingWhiteSpace() -> SubSequence {
        var text = self[...]
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
