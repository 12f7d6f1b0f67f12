/// One row of a treatment's decision table: when `condition` holds, do `actions`.
public struct Rule: Hashable, Sendable {
    /// A stable snake_case id, unique in its rule set ("bmi_under_27").
    public let id: String
    public let condition: RuleCondition
    public let actions: [RuleAction]

    public init(id: String, condition: RuleCondition, actions: [RuleAction]) {
        self.id = id
        self.condition = condition
        self.actions = actions
    }
}
