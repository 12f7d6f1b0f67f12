import MedExpress
import RPCCore
import Store

/// `medexpress audit verify`: walks the audit log's hash chain; exit 0 when intact, 1 naming the
/// first broken entry.
struct AuditVerifyCommand {
    let data: DataStore

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        try arguments.rejectUnknown()
    }

    func run() async throws -> Int32 {
        let engine = try await data.openDatabase(log: Logger(component: "audit", minimumLevel: .warning))
        let verification: AuditLog.Verification
        do {
            verification = try await AuditLog.verify(engine)
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
        switch verification {
        case .intact(let entries):
            printLine("audit log intact: \(entries) entries")
            return 0
        case .broken(let sequence, let reason):
            printLine("audit log broken at entry \(sequence): \(reason)")
            return 1
        }
    }
}

/// `medexpress keys rotate`: introduces a new data key, makes it active and re-seals every
/// encrypted column under it.
struct KeysRotateCommand {
    let data: DataStore

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        data = DataStore(&arguments)
        try arguments.rejectUnknown()
    }

    func run() async throws {
        let engine = try await data.openDatabase(log: Logger(component: "keys", minimumLevel: .warning))
        do {
            let master = try data.masterKey(create: false)
            _ = try await Vault.open(master: master, store: engine)
            let id = try await Vault.rotate(master: master, store: engine, columns: Schema.encryptedColumns)
            printLine("data key \(id) is active; every encrypted column is sealed under it")
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }
}
