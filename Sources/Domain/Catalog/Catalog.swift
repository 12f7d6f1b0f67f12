/// The clinical catalog: treatments with their questionnaires, medications, packs and clinical rule
/// sets, and the delivery options, at one version. Loaded from the data files under Data/catalog/,
/// compiled into the server by scripts/embed-catalog.sh, and validated in full when loaded.
public struct Catalog: Sendable {
    /// The catalog's version ("2026-11.1").
    public let version: String
    /// The treatments in display order.
    public let treatments: [Treatment]
    public let deliveryOptions: [DeliveryOption]

    private let ruleSets: [TreatmentID: RuleSet]
    private let treatmentIndex: [TreatmentID: Int]
    private let productIndex: [ProductID: ProductLocation]
    private let productByGTIN: [String: ProductID]

    /// Where a pack sits: treatment, medication and product positions.
    private struct ProductLocation: Sendable {
        let treatment: Int
        let medication: Int
        let product: Int
    }

    /// The catalog compiled into the binary (Sources/Domain/Catalog/EmbeddedCatalogData.swift).
    public static func embedded() throws(CatalogError) -> Catalog {
        try load(files: EmbeddedCatalogData.files)
    }

    /// Loads and validates a catalog from its data files, by name relative to Data/catalog/
    /// ("catalog.json", "weight-loss.json"). See Data/catalog/README.md for the format.
    public static func load(files: [(name: String, text: String)]) throws(CatalogError) -> Catalog {
        let contents = try CatalogDecoder.decode(files: files)
        return Catalog(version: contents.version, treatments: contents.treatments,
                       deliveryOptions: contents.deliveryOptions, ruleSets: contents.ruleSets)
    }

    private init(version: String, treatments: [Treatment], deliveryOptions: [DeliveryOption], ruleSets: [TreatmentID: RuleSet]) {
        self.version = version
        self.treatments = treatments
        self.deliveryOptions = deliveryOptions
        self.ruleSets = ruleSets
        var treatmentIndex: [TreatmentID: Int] = [:]
        var productIndex: [ProductID: ProductLocation] = [:]
        var productByGTIN: [String: ProductID] = [:]
        for (t, treatment) in treatments.enumerated() {
            treatmentIndex[treatment.id] = t
            for (m, medication) in treatment.medications.enumerated() {
                for (p, product) in medication.products.enumerated() {
                    productIndex[product.id] = ProductLocation(treatment: t, medication: m, product: p)
                    productByGTIN[product.gtin] = product.id
                }
            }
        }
        self.treatmentIndex = treatmentIndex
        self.productIndex = productIndex
        self.productByGTIN = productByGTIN
    }

    public func treatment(_ id: TreatmentID) -> Treatment? {
        treatmentIndex[id].map { treatments[$0] }
    }

    public func deliveryOption(_ id: DeliveryOptionID) -> DeliveryOption? {
        deliveryOptions.first { $0.id == id }
    }

    /// The clinical rules of a treatment.
    public func ruleSet(for treatment: TreatmentID) -> RuleSet? { ruleSets[treatment] }

    /// A pack by id, with its treatment and medication.
    public func product(_ id: ProductID) -> (treatment: Treatment, medication: Medication, product: Product)? {
        guard let location = productIndex[id] else { return nil }
        let treatment = treatments[location.treatment]
        let medication = treatment.medications[location.medication]
        return (treatment, medication, medication.products[location.product])
    }

    /// A pack by the GTIN a scanner read (GTIN-13, or GTIN-14 with indicator digit 0).
    public func product(gtin: String) -> (treatment: Treatment, medication: Medication, product: Product)? {
        productByGTIN[GTIN.normalized(gtin)].flatMap { product($0) }
    }

    /// A medication by id, with its treatment.
    public func medication(_ id: MedicationID) -> (treatment: Treatment, medication: Medication)? {
        for treatment in treatments {
            if let medication = treatment.medications.first(where: { $0.id == id }) { return (treatment, medication) }
        }
        return nil
    }

    /// Runs the treatment's clinical rules over `facts`; nil for an unknown treatment.
    public func assess(_ treatment: TreatmentID, facts: ClinicalFacts) -> ClinicalAssessment? {
        guard let found = self.treatment(treatment), let rules = ruleSets[treatment] else { return nil }
        return rules.evaluate(facts, medications: found.medications)
    }
}
