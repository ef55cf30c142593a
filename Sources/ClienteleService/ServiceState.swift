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
///
/// When the store fails under the service (a file error, an fsync that failed, a
/// repair that rewrote the log), the service opens it again and loads a new
/// snapshot; until that succeeds, requests that need the store are answered 503
/// and `/readyz` says not ready. A group whose fsync failed is cut off the log and
/// every request in it is answered with an error: what was acknowledged is durable,
/// and what was refused is not in the store.
package final class ServiceState: @unchecked Sendable {
    package let directory: ConfigDirectory
    let logger: Logger
    let metrics: ServiceMetrics
    private let queue = DispatchQueue(label: "clientele.store")
    /// Only touched on `queue`.
    private var store: any CustomerStore
    private let current: Mutex<ServiceSnapshot>
    private let ready = Atomic<Bool>(true)
    /// `broken`, for the request threads: while set, requests are answered 503 (the
    /// keys and customers of the last snapshot may be out of date).
    private let unavailableNow = Atomic<Bool>(false)
    /// Set once the service stops: writes not yet begun are answered 503.
    private let stopping = Atomic<Bool>(false)
    private let pending = Mutex<(jobs: [WriteJob], scheduled: Bool)>(([], false))
    /// Whether a refresh is queued and not yet begun (refreshes do not pile up).
    private let refreshQueued = Atomic<Bool>(false)
    /// Set when the store failed under the service; a refresh opens it again (queue only).
    private var broken = false {
        didSet { unavailableNow.store(broken, ordering: .relaxed) }
    }
    /// When a refresh may try to open a broken store again, and how long it waits after
    /// the next failure (doubling up to 5 s): a store that stays broken is not reloaded
    /// four times a second (queue only).
    private var reopenAfter = ContinuousClock.now
    private var reopenDelay: Duration = .milliseconds(250)
    /// Whether the keys could be read at the last refresh (queue only); when not, no key is taken.
    private var keysReadable = true
    /// Counts the times the store was opened again: a new base made from an older
    /// store value is not adopted (queue only).
    private var generation = 0

    /// How long a group waits for another process to let go of the store's lock.
    static let lockTimeout: Duration = .seconds(10)

    /// The snapshot requests read now.
    package var snapshot: ServiceSnapshot { current.withLock { $0 } }
    /// Whether the store is open, its version loaded and its keys readable (`/readyz`).
    package var isReady: Bool { ready.load(ordering: .relaxed) }
    /// Whether the store failed under the service and is not open again yet.
    package var isUnavailable: Bool { unavailableNow.load(ordering: .relaxed) }

    /// The service stops: writes that have not begun are answered 503 from now on.
    package func stop() { stopping.store(true, ordering: .relaxed) }

    /// What a request that needs the store is told while the store is opened again (a
    /// write answered so was not acknowledged: it is not stored, and may be sent again).
    static let unavailable = StoreError(
        "the store is unavailable: it failed under the service, which is opening it again; nothing of this request was stored, try again shortly"
    )
    /// What a write is told that had not begun when the service began to stop.
    static let stopped = StoreError("the service is stopping; nothing of this request was stored, try again")

    /// Opens the directory's store to read and loads the first snapshot.
    package init(directory: ConfigDirectory, logger: Logger, metrics: ServiceMetrics) throws(OperationError) {
        self.directory = directory
        self.logger = logger
        self.metrics = metrics
        let applied = try directory.openApplied(writer: nil)
        store = applied.store
        let first = try Self.load(applied, keys: try ServiceKeys.load(applied.store))
        current = Mutex(first)
        metrics.appliedVersion(first.version.number)
    }

    private static func load(_ applied: AppliedStore, keys: ServiceKeys) throws(OperationError) -> ServiceSnapshot {
        let customers: CustomerTable
        do { customers = try applied.store.customerTable(for: applied.config.access) } catch { throw .store(error) }
        let end = applied.store.end
        return ServiceSnapshot(
            config: applied.config, version: applied.version, customers: ServedCustomers(base: customers, at: end),
            keys: keys, position: end)
    }

    // MARK: Reads

    /// Runs `body` with the store (and the snapshot of this moment) on the store's queue.
    package func reading<R: Sendable>(
        _ body: @escaping @Sendable (any CustomerStore, ServiceSnapshot) throws(OperationError) -> R
    ) async throws(OperationError) -> R {
        let result: Result<R, OperationError> = await withCheckedContinuation { continuation in
            queue.async {
                guard !self.broken else { return continuation.resume(returning: .failure(.store(Self.unavailable))) }
                let snapshot = self.snapshot
                let result = Result { () throws(OperationError) -> R in try body(self.store, snapshot) }
                continuation.resume(returning: result)
                if case .failure(.store(let error)) = result, error.file != nil { self.failed(error) }
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
            if schedule { queue.async { self.commitGroup(since: .now) } }
        }
        switch result {
        case .success(let value): return value as! R
        case .failure(let error): throw error
        }
    }

    /// The writes queued so far, taken off the queue of pending ones.
    private func takeJobs() -> [WriteJob] {
        pending.withLock { state in
            defer { state.jobs = [] }
            return state.jobs
        }
    }

    /// Lets the next write schedule a group again, unless writes are waiting: then
    /// they are the next group.
    private func groupDone() {
        let more = pending.withLock { state in
            if state.jobs.isEmpty { state.scheduled = false }
            return !state.jobs.isEmpty
        }
        if more { queue.async { self.commitGroup(since: .now) } }
    }

    /// One group: the lock, every queued write, one fsync, the next snapshot, the answers.
    /// While another process holds the lock, the queue is let go between tries (reads
    /// go on); the group fails as busy after `lockTimeout`.
    private func commitGroup(since waiting: ContinuousClock.Instant) {
        guard !broken, !stopping.load(ordering: .relaxed) else {
            let why = broken ? Self.unavailable : Self.stopped
            for job in takeJobs() { job.done.resume(returning: .failure(.store(why))) }
            return groupDone()
        }
        let started = ContinuousClock.now
        do throws(StoreError) {
            try store.beginWriting(as: "clientele serve", timeout: 0)
        } catch {
            if error.isBusy, ContinuousClock.now - waiting < Self.lockTimeout {
                queue.asyncAfter(deadline: .now() + .milliseconds(10)) { self.commitGroup(since: waiting) }
                return
            }
            for job in takeJobs() { job.done.resume(returning: .failure(.store(error))) }
            if error.file != nil { failed(error) }
            return groupDone()
        }
        let jobs = takeJobs()
        var results: [Result<any Sendable, OperationError>] = []
        // Another process may have committed (or applied a version) before the lock was taken.
        var snapshot = self.snapshot
        do throws(OperationError) { snapshot = try advance(snapshot) } catch {
            try? store.endWriting()
            for job in jobs { job.done.resume(returning: .failure(error)) }
            if case .store(let e) = error { failed(e) }
            return groupDone()
        }
        var operations = CustomerOperations(config: snapshot.config, store: store, now: Timestamp.currentSeconds())
        operations.unviewableIsMissing = true
        var storeFailed: StoreError?
        for job in jobs {
            let result = Result { () throws(OperationError) -> any Sendable in try job.body(operations, snapshot) }
            if case .failure(.store(let error)) = result, error.file != nil { storeFailed = error }
            results.append(result)
        }
        let synced = ContinuousClock.now
        var durable = true
        do throws(StoreError) {
            try store.endWriting()
        } catch {
            storeFailed = error
            durable = false
        }
        let fsynced = ContinuousClock.now - synced
        if !durable {
            // Nothing of this group is acknowledged; what it wrote was cut off the log.
            logger.error("a group of \(jobs.count) writes could not be made durable: \(storeFailed?.message ?? "")")
            results = results.map { _ in .failure(.store(Self.unavailable)) }
        } else {
            do throws(OperationError) { _ = try advance(snapshot) } catch {
                // The group is durable; the snapshot is made again from the store, opened again.
                logger.error("the snapshot after a commit could not be made: \(error.description)")
                if case .store(let e) = error { storeFailed = e }
            }
        }
        metrics.groupCommitted(writes: jobs.count, fsync: fsynced, total: ContinuousClock.now - started)
        for (job, result) in zip(jobs, results) { job.done.resume(returning: result) }
        if let storeFailed { failed(storeFailed) }
        groupDone()
    }

    /// The store failed under the service: not ready, and opened again at once (on the queue).
    private func failed(_ error: StoreError) {
        logger.error("the store failed under the service (\(error.message)); opening it again")
        broken = true
        ready.store(false, ordering: .relaxed)
        reopen()
    }

    /// Opens the store again and loads every customer (after a repair, a failed write
    /// or fsync, a store moved away and back); on failure, stays broken until a
    /// refresh succeeds.
    private func reopen() {
        generation += 1
        reopenAfter = .now + reopenDelay
        do throws(OperationError) {
            let applied = try directory.openApplied(writer: nil)
            store = applied.store
            let keys = readKeys()
            let next = try Self.load(applied, keys: keys ?? ServiceKeys())
            install(next)
            metrics.appliedVersion(next.version.number)
            broken = false
            reopenDelay = .milliseconds(250)
            ready.store(keys != nil, ordering: .relaxed)
            logger.info(
                "the store is open again: config version \(next.version.number), \(next.customers.count) customers")
        } catch {
            logger.error("cannot open the store again (next try in \(reopenDelay)): \(error.description)")
            broken = true
            ready.store(false, ordering: .relaxed)
            reopenDelay = min(reopenDelay * 2, .seconds(5))
        }
    }

    /// The keys the store holds, or nil (logged) when they cannot be read: then no key
    /// is taken until they can (a damaged keys.json refuses everyone, never keeps old keys).
    private func readKeys() -> ServiceKeys? {
        do throws(OperationError) {
            let keys = try ServiceKeys.load(store)
            if !keysReadable { logger.info("the keys can be read again") }
            keysReadable = true
            return keys
        } catch {
            if keysReadable {
                logger.error("cannot read the keys; no key is taken until they can be: \(error.description)")
            }
            keysReadable = false
            return nil
        }
    }

    // MARK: Catching up

    /// Reads what other processes committed (customers, a new version, keys) and
    /// swaps in the next snapshot. Called every `interval` by `run`; a refresh asked
    /// for while one is queued is that one.
    package func refresh() {
        guard !refreshQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async {
            self.refreshQueued.store(false, ordering: .releasing)
            guard !self.broken else {
                if ContinuousClock.now >= self.reopenAfter { self.reopen() }
                return
            }
            // The keys first, whatever happens to the rest: a revoked key is refused even
            // when the customers cannot be read.
            let keys = self.readKeys() ?? ServiceKeys()
            if keys != self.snapshot.keys { self.install(self.snapshot.with(keys: keys)) }
            do throws(StoreError) {
                _ = try self.store.refresh()
            } catch {
                // The log was cut or rewritten under this process (a repair), or a file is gone.
                return self.failed(error)
            }
            do throws(OperationError) {
                try self.advance(self.snapshot)
                self.ready.store(self.keysReadable, ordering: .relaxed)
            } catch {
                if case .store(let e) = error, e.file != nil { return self.failed(e) }
                self.logger.error("cannot read the store: \(error.description)")
                self.ready.store(false, ordering: .relaxed)
            }
        }
    }

    /// `refresh`, waited for: what other processes committed is served when it returns.
    package func refreshNow() async {
        refresh()
        await idle()
    }

    /// Returns once the work queued on the store's queue so far is done.
    package func idle() async {
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
            next = try Self.load(applied, keys: snapshot.keys)
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
        let generation = self.generation
        DispatchQueue.global().async {
            let merged = customers.merged(at: position)
            self.queue.async {
                self.merging = false
                let current = self.snapshot
                // A version applied meanwhile, or the store opened again, loaded every customer again.
                guard current.version.number == version, self.generation == generation, !self.broken else { return }
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
