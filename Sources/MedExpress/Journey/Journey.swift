import Domain
import Store
import Trust

/// What the services of the customer journey share: the store and its vault, the catalog loaded
/// at start, the payment and courier gateways, the change feed of the live views, and the clock
/// (injectable, so tests can move through days).
public struct Journey: Sendable {
    public let store: any StoreEngine
    public let vault: Vault
    public let catalog: Catalog
    public let payments: any PaymentGateway
    public let courier: any CourierGateway
    public let feed: ChangeFeed
    public let mail: MailSettings
    public let clock: @Sendable () -> Int64

    public init(store: any StoreEngine, vault: Vault, catalog: Catalog, payments: any PaymentGateway, courier: any CourierGateway,
                mail: MailSettings = MailSettings(), clock: @escaping @Sendable () -> Int64 = WallClock.nowMicroseconds) {
        self.store = store
        self.vault = vault
        self.catalog = catalog
        self.payments = payments
        self.courier = courier
        feed = ChangeFeed(store: store)
        self.mail = mail
        self.clock = clock
    }
}

extension AuditEntry {
    /// An entry for what `caller` did through `method` to `resource`.
    init(_ caller: Caller, at now: Int64, method: String, resource: String, action: String, detail: String = "") {
        self.init(atMicroseconds: now, actor: caller.subjectID, role: caller.role.rawValue,
                  certificateThumbprint: caller.certificateThumbprint ?? "", method: method, resource: resource,
                  action: action, detail: detail)
    }
}
