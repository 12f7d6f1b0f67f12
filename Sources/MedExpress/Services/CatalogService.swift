import Domain
import Generated
import RPCCore

/// `medexpress.v1.CatalogService`: the treatments, their questionnaires and medicines, and the
/// delivery services, straight from the catalog loaded at start (public, nothing stored).
public struct CatalogService: Medexpress_V1_CatalogServiceProvider {
    let catalog: Catalog

    public init(catalog: Catalog) { self.catalog = catalog }

    public func listTreatments(_ request: Medexpress_V1_ListTreatmentsRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListTreatmentsResponse {
        var response = Medexpress_V1_ListTreatmentsResponse()
        response.treatments = catalog.treatments.map(CatalogMessages.summary)
        response.catalogVersion = catalog.version
        return response
    }

    public func getTreatment(_ request: Medexpress_V1_GetTreatmentRequest, context: ServerContext) async throws
        -> Medexpress_V1_Treatment {
        CatalogMessages.treatment(try catalog.requireTreatment(request.treatmentId), catalogVersion: catalog.version)
    }

    public func listDeliveryOptions(_ request: Medexpress_V1_ListDeliveryOptionsRequest, context: ServerContext) async throws
        -> Medexpress_V1_ListDeliveryOptionsResponse {
        var response = Medexpress_V1_ListDeliveryOptionsResponse()
        response.deliveryOptions = catalog.deliveryOptions.map(CatalogMessages.deliveryOption)
        return response
    }
}

extension Catalog {
    /// The treatment `id` names, or NOT_FOUND listing those there are.
    func requireTreatment(_ id: String) throws(Status) -> Domain.Treatment {
        guard !id.isEmpty else { throw Status(.invalidArgument, "treatment_id: which treatment is needed") }
        guard let treatment = treatment(TreatmentID(id)) else {
            let known = treatments.map(\.id.rawValue).joined(separator: ", ")
            throw Status(.notFound, "treatment_id: no treatment \"\(id.prefix(64))\" (there are: \(known))")
        }
        return treatment
    }
}
