import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

extension AppliedVersion {
    /// What each package inherited, as the validators take it.
    package var inheritance: PackageInheritance { PackageInheritance(inherited: inherited) }
}

extension CustomerStore {
    /// Records the first applied version: the config's files and what each package
    /// inherited (every main-table field of its team and table, those of this version
    /// included). Later versions belong to plan and apply.
    package func applyFirst(
        _ config: CompiledConfig, files: [(path: String, text: String)], by actor: String, at time: String
    ) throws(StoreError) {
        if let version {
            throw StoreError(
                "this store already holds config version \(version.number); applying changes to an applied config needs 'clientele plan' and 'apply' of a later release"
            )
        }
        // Customers but no applied version: the entry that recorded it is lost, and a first apply would skip the plan.
        guard count == 0 else {
            throw StoreError(
                "this store holds \(count) customers but no applied config version; run 'clientele store repair', which records the version again from versions/"
            )
        }
        var inherited: [String: Set<String>] = [:]
        let schema = config.model.schema
        for p in schema.packages where p.module == .campaign {
            let fields = schema.customizations.filter {
                $0.team == p.team && $0.table == p.table && $0.origin == .mainTable
            }.flatMap(\.identities)
            inherited[p.id] = Set(fields)
        }
        try applyVersion(
            AppliedVersion(number: 1, appliedAt: time, appliedBy: actor, files: files, inherited: inherited), extra: [],
            operations: [])
    }

    /// The next free id of a table: its prefix and the next number, zero-padded.
    package func nextId(_ numbering: Numbering) -> String {
        var n = highestNumber(prefix: numbering.prefix) + 1
        while isTaken(numbering.format(n)) { n += 1 }
        return numbering.format(n)
    }

    /// Every customer, loaded into a table for the access engine.
    ///
    /// The table of the policy's own columns is also kept beside the data (the cache
    /// `customers`), so that opening a large store reads it back instead of parsing
    /// every document: the documents written since are applied on top, and the cache
    /// is written again when it is missing, made for another config (other users,
    /// fields, ...), damaged, or far behind the log.
    package func customerTable(for policy: AccessPolicy, fieldIdentities: [String]? = nil) throws(StoreError)
        -> CustomerTable
    {
        let table = CustomerTable(org: policy.org, fieldIdentities: fieldIdentities ?? policy.fieldIdentities)
        guard fieldIdentities == nil || fieldIdentities == policy.fieldIdentities else {
            try forEachDocument { table.addDocument($0) }
            return table
        }
        let key = table.layoutKey
        let restored = readCache(JSONFileStore.accessColumnsCache, key: key) { body in
            CustomerTable.restore(body, org: policy.org, fieldIdentities: policy.fieldIdentities)
        }
        guard let (base, position) = restored else {
            try forEachDocument { table.addDocument($0) }
            saveCache(JSONFileStore.accessColumnsCache, key: key, body: table.snapshot())
            return table
        }
        guard position != end else { return base }
        // Rows put again or deleted since the snapshot are dropped, then whatever was written since is added.
        let written = try idsWritten(after: position)
        let touched = Set(written)
        let dropped = touched.isEmpty ? [] : (0..<base.count).filter { touched.contains(base.ids[$0]) }
        // A few rows are taken out in place (each moves the rows after it); more, by copying the rest.
        let inPlace = dropped.count <= 16
        let current = inPlace ? base : base.keepingRows { !touched.contains(base.ids[$0]) }
        if inPlace { base.removeRows(dropped) }
        try forEachDocument(of: written, writtenAfter: position) { current.addDocument($0) }
        if written.count > 1_000 + current.count / 16 {
            saveCache(JSONFileStore.accessColumnsCache, key: key, body: current.snapshot())
        }
        return current
    }

    /// Every customer, parsed from the documents, without reading or writing the
    /// cache (for a policy that is not applied yet).
    package func customerTableFromDocuments(for policy: AccessPolicy) throws(StoreError) -> CustomerTable {
        let table = policy.makeCustomerTable()
        try forEachDocument { table.addDocument($0) }
        return table
    }
}
