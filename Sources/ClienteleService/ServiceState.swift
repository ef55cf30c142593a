import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleStore
import Dispatch
import Foundation
import Logging
import Synchronization

/// What a request reads: the applied version, the customers in the access columns
/// and their index, and the keys. A snapshot never changes; a commit (the service's
/// own, or another process's that a refresh reads) makes the next one and swaps it
/// in, so decisions and lists never wait for a writer, and a request that began on
/// one version finishes on it.
package final class ServiceSnapshot: @unchecked Sendable {
    package let config: CompiledConfig
    package let version: AppliedVersion
    package let customers: ServedCustomers
    package let keys: ServiceKeys
    /// Where the store's log ended when this snapshot was made.
    package let position: StorePosition

    init(
        config: CompiledConfig, version: AppliedVersion, customers: ServedCustomers, keys: ServiceKeys,
        position: StorePosition
    ) {
        self.config = config
        self.version = version
        self.customers = customers
        self.keys = keys
        self.position = position
    }

    /// The same customers with other keys.
    func with(keys: ServiceKeys) -> ServiceSnapshot {
        ServiceSnapshot(config: config, version: version, customers: customers, keys: keys, position: position)
    }

    /// The acting user's index, when the id names an active user of this version.
    func activeUser(_ id: String) -> Int? {
        guard let u = config.access.org.user(id), config.access.org.userActive[u] else { return nil }
        return u
    }

    /// Whether `user` may configure (an admin).
    func mayConfigure(_ user: Int) -> Bool { config.mayConfigure(user) }
}

/// Customer numbers in number order as integers (prefix, then the number after it),
/// so that a page of a large list is chosen without comparing strings.
package enum IdOrder {
    /// The id's key: up to three prefix letters in the high bytes, the number (at most
    /// twelve digits) below; ids of another shape, and ties (P01 and P1), are ordered
    /// by `CustomerListing.numberOrder`, which this key agrees with.
    package static func key(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { b in
            var k = 0
            var prefix: UInt64 = 0
            while k < b.count, !ValueFormats.isDigit(b[k]) {
                guard k < 3, b[k] > 0 else { return unordered }
                prefix |= UInt64(b[k]) << UInt64(56 - 8 * k)
                k += 1
            }
            guard k < b.count else { return unordered }
            var n: UInt64 = 0
            var digits = 0
            for j in k..<b.count {
                guard ValueFormats.isDigit(b[j]) else { return unordered }
                if n == 0 && b[j] == 0x30 { continue }
                n = n * 10 + UInt64(b[j] - 0x30)
                digits += 1
                guard digits <= 12 else { return unordered }
            }
            return prefix | n
        }
    }

    /// The key of an id that does not fit: compared as text.
    package static let unordered = UInt64.max
}

/// The store the service keeps open, and its snapshots.
///
/// The store value itself is used by one piece of work at a time, on one serial
/// queue: reads of documents, the writes of a group, and the refresh that reads what
/// other processes committed. Writes queue up while a group is being committed and
/// go together in the next group: the store's lock is taken once for the group and
/// its batches are made durable by one fsync, after which every request of the group
/// is answered. Decisions and lists read the snapshot and never wait on that queue.
package final class ServiceState: @unchecked Sendable {
    package let directory: ConfigDirectory
    let logger: Logger
    let metrics: ServiceMetrics
    private let queue = DispatchQueue(label: "clientele.store")
    /// Only touched on `queue`.
    private var store: any CustomerStore
    private let current: Mutex<ServiceSnapshot>
    private let ready = Atomic<Bool>(true)
    private let pending = Mutex<(jobs: [WriteJob], scheduled: Bool)>(([], false))

    /// The snapshot requests read now.
    package var snapshot: ServiceSnapshot { current.withLock { $0 } }
    /// Whether the store is open and its version loaded (`/readyz`).
    package var isReady: Bool { ready.load(ordering: .relaxed) }

    /// Opens the directory's store to read and loads the first snapshot.
    package init(directory: ConfigDirectory, logger: Logger, metrics: ServiceMetrics) throws(OperationError) {
        self.directory = directory
        self.logger = logger
        self.metrics = metrics
        let applied = try directory.openApplied(writer: nil)
        store = applied.store
        let first = try Self.load(applied)
        current = Mutex(first)
        metrics.appliedVersion(first.version.number)
    }

    private static func load(_ applied: AppliedStore) throws(OperationError) -> ServiceSnapshot {
        let customers: CustomerTable
        do { customers = try applied.store.customerTable(for: applied.config.access) } catch { throw .store(error) }
        let end = applied.store.end
        return ServiceSnapshot(
            config: applied.config, version: applied.version, customers: ServedCustomers(base: customers, at: end),
            keys: try ServiceKeys.load(applied.store), position: end)
    }

    // MARK: Reads

    /// Runs `body` with the store (and the snapshot of this moment) on the store's queue.
    package func reading<R: Sendable>(
        _ body: @escaping @Sendable (any CustomerStore, ServiceSnapshot) throws(OperationError) -> R
    ) async throws(OperationError) -> R {
        let result: Result<R, OperationError> = await withCheckedContinuation { continuation in
            queue.async {
                let snapshot = self.snapshot
                continuation.resume(
                    returning: Result { () throws(OperationError) -> R in try body(self.store, snapshot) })
            }
        }
        return try result.get()
    }

    // MARK: Writes

    private struct WriteJob: @unchecked Sendable {
        let body: (CustomerOperations, ServiceSnapshot) throws(OperationError) -> any Sendable
        let done: CheckedContinuation<Result<any Sendable, OperationError>, Never>
    }

    /// Runs `body` as a write in the next group commit: it may commit batches through
    /// the operations; it is answered once the group is durable, and the snapshot
    /// that follows the group is in place by then (a request that follows sees it).
    package func writing<R: Sendable>(
        _ body: @escaping @Sendable (CustomerOperations, ServiceSnapshot) throws(OperationError) -> R
    ) async throws(OperationError) -> R {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<any Sendable, OperationError>, Never>) in
            let job = WriteJob(
                body: { (operations, snapshot) throws(OperationError) -> any Sendable in
                    try body(operations, snapshot)
                }, done: continuation)
            let schedule = pending.withLock { state in
                state.jobs.append(job)
                defer { state.scheduled = true }
                return !state.scheduled
            }
            if schedule { queue.async { self.commitGroup() } }
        }
        switch result {
        case .success(let value): return value as! R
        case .failure(let error): throw error
        }
    }

    /// One group: the lock, every queued write, one fsync, the next snapshot, the answers.
    private func commitGroup() {
        let jobs = pending.withLock { state in
            defer {
                state.jobs = []
                state.scheduled = false
            }
            return state.jobs
        }
        guard !jobs.isEmpty else { return }
        let started = ContinuousClock.now
        var results: [Result<any Sendable, OperationError>] = []
        do throws(StoreError) {
            try store.beginWriting(as: "clientele serve", timeout: 10)
        } catch {
            for job in jobs { job.done.resume(returning: .failure(.store(error))) }
            return
        }
        // Another process may have committed (or applied a version) before the lock was taken.
        var snapshot = self.snapshot
        do throws(OperationError) { snapshot = try advance(snapshot) } catch {
            try? store.endWriting()
            for job in jobs { job.done.resume(returning: .failure(error)) }
            return
        }
        let operations = CustomerOperations(config: snapshot.config, store: store)
        for job in jobs {
            results.append(Result { () throws(OperationError) -> any Sendable in try job.body(operations, snapshot) })
        }
        let synced = ContinuousClock.now
        do throws(StoreError) {
            try store.endWriting()
        } catch {
            logger.error("the group's batches may not be durable: \(error.message)")
            results = results.map { _ in .failure(.store(error)) }
        }
        let fsynced = ContinuousClock.now - synced
        do throws(OperationError) { _ = try advance(snapshot) } catch {
            logger.error("the snapshot after a commit could not be made: \(error.description)")
        }
        metrics.groupCommitted(writes: jobs.count, fsync: fsynced, total: ContinuousClock.now - started)
        for (job, result) in zip(jobs, results) { job.done.resume(returning: result) }
    }

    // MARK: Catching up

    /// Reads what other processes committed (customers, a new version, keys) and
    /// swaps in the next snapshot. Called every `interval` by `run`.
    package func refresh() {
        queue.async {
            do throws(OperationError) {
                let changed: Bool
                do throws(StoreError) { changed = try self.store.refresh() } catch {
                    // The log was cut under this process (a repair): open it again.
                    self.logger.warning("the store changed under the service (\(error.message)); opening it again")
                    let applied = try self.directory.openApplied(writer: nil)
                    self.store = applied.store
                    self.install(try Self.load(applied))
                    self.ready.store(true, ordering: .relaxed)
                    return
                }
                var snapshot = self.snapshot
                if changed { snapshot = try self.advance(snapshot) }
                let keys = try ServiceKeys.load(self.store)
                if keys != snapshot.keys { self.install(snapshot.with(keys: keys)) }
                self.ready.store(true, ordering: .relaxed)
            } catch {
                self.logger.error("cannot read the store: \(error.description)")
                self.ready.store(false, ordering: .relaxed)
            }
        }
    }

    /// `refresh`, waited for: what other processes committed is served when it returns.
    package func refreshNow() async {
        refresh()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
    }

    /// The snapshot after what the store holds beyond `snapshot`: the rows written
    /// since replaced, or everything again under a new version. Installs it.
    @discardableResult
    private func advance(_ snapshot: ServiceSnapshot) throws(OperationError) -> ServiceSnapshot {
        let end = store.end
        guard end != snapshot.position else { return snapshot }
        let next: ServiceSnapshot
        if let version = store.version, version.number != snapshot.version.number {
            let applied: AppliedStore?
            do { applied = try AppliedStore(store: store) } catch { throw .store(error) }
            guard let applied else { throw .store(StoreError("the store lost its applied version")) }
            next = try Self.load(applied)
            logger.info("config version \(version.number) applied; serving it now")
            metrics.appliedVersion(version.number)
        } else {
            let customers: ServedCustomers
            do throws(StoreError) {
                let written = try store.idsWritten(after: snapshot.position)
                customers = try snapshot.customers.advanced(written: written) { body throws(StoreError) in
                    try store.forEachDocument(of: written, writtenAfter: snapshot.position, body)
                }
                if customers.needsMerge { merge(customers, at: end, version: snapshot.version.number) }
            } catch {
                throw .store(error)
            }
            next = ServiceSnapshot(
                config: snapshot.config, version: snapshot.version, customers: customers, keys: snapshot.keys,
                position: end)
        }
        install(next)
        return next
    }

    /// Whether a new base is being made (touched on the queue only).
    private var merging = false

    /// Makes a new base of `customers` (made at `position`) on another thread, then
    /// adopts it on the queue with what was written since `position` on top: the
    /// store's queue never waits for the O(n) work.
    private func merge(_ customers: ServedCustomers, at position: StorePosition, version: Int) {
        guard !merging else { return }
        merging = true
        let started = ContinuousClock.now
        DispatchQueue.global().async {
            let merged = customers.merged(at: position)
            self.queue.async {
                self.merging = false
                let current = self.snapshot
                // A version applied meanwhile loaded every customer again.
                guard current.version.number == version else { return }
                do throws(StoreError) {
                    let written = try self.store.idsWritten(after: position)
                    let rebased = try merged.advanced(written: written) { body throws(StoreError) in
                        try self.store.forEachDocument(of: written, writtenAfter: position, body)
                    }
                    self.install(
                        ServiceSnapshot(
                            config: current.config, version: current.version, customers: rebased, keys: current.keys,
                            position: self.store.end))
                    self.logger.debug("a new base of \(rebased.count) customers in \(ContinuousClock.now - started)")
                } catch {
                    self.logger.error("cannot make a new base: \(error.message)")
                }
            }
        }
    }

    private func install(_ snapshot: ServiceSnapshot) {
        current.withLock { $0 = snapshot }
    }
}
