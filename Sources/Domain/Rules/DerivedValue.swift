/// A value computed from the answers before the rules run, declared in the data by formula kind.
public struct DerivedValue: Hashable, Sendable {
    /// The formulas the engine knows.
    public enum Formula: Hashable, Sendable {
        /// Body mass index: weight in kg over the square of height in metres, to 1 decimal place
        /// as recorded clinically (NICE CG189), so a BMI shown as 27.0 is never treated as under 27.
        case bmi(weightKilograms: QuestionID, heightCentimetres: QuestionID)
    }

    /// The name rules and messages use ("bmi").
    public let name: String
    public let formula: Formula

    public init(name: String, formula: Formula) {
        self.name = name
        self.formula = formula
    }

    /// The value, or nil when an input is unanswered or out of the formula's domain.
    public func compute(_ answers: [QuestionID: AnswerValue]) -> Double? {
        switch formula {
        case let .bmi(weightQuestion, heightQuestion):
            guard case let .number(weightKilograms)? = answers[weightQuestion],
                  case let .number(heightCentimetres)? = answers[heightQuestion],
                  heightCentimetres > 0, weightKilograms > 0 else { return nil }
            return DerivedValue.bmi(weightKilograms: weightKilograms, heightCentimetres: heightCentimetres)
        }
    }

    /// BMI to 1 decimal place (half away from zero).
    public static func bmi(weightKilograms: Double, heightCentimetres: Double) -> Double {
        let heightMetres = heightCentimetres / 100
        let exact = weightKilograms / (heightMetres * heightMetres)
        return (exact * 10).rounded(.toNearestOrAwayFromZero) / 10
    }
}
