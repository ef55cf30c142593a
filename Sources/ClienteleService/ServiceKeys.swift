import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleStore
import Crypto

/// One key of the service: who it acts as, and the SHA-256 of the key (the key
/// itself is shown once, when it is made, and never stored).
package struct ServiceKey: Sendable, Equatable {
    /// How `key list` and `key revoke` name it.
    package var name: String
    /// The user a user key acts as; nil for a service key, which acts as the user
    /// each request names in `Clientele-User`.
    package var user: String?
    /// The SHA-256 of the key, lowercase hex.
    package var hash: String {
        didSet { digest = ServiceKeys.bytes(hex: hash) ?? [] }
    }
    /// The same as bytes, compared with a presented key's.
    private(set) var digest: [UInt8] = []
    package var createdAt: String
    package var createdBy: String
    package var revokedAt: String?
    package var revokedBy: String?

    init(
        name: String, user: String?, hash: String, createdAt: String, createdBy: String, revokedAt: String? = nil,
        revokedBy: String? = nil
    ) {
        self.name = name
        self.user = user
        self.hash = hash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
        digest = ServiceKeys.bytes(hex: hash) ?? []
    }

    package var isService: Bool { user == nil }
    package var isRevoked: Bool { revokedAt != nil }

    var json: JSONValue {
        .object([
            ("name", .string(name)), ("user", user.map(JSONValue.string) ?? .null), ("sha256", .string(hash)),
            ("created_at", .string(createdAt)), ("created_by", .string(createdBy)),
            ("revoked_at", revokedAt.map(JSONValue.string) ?? .null),
            ("revoked_by", revokedBy.map(JSONValue.string) ?? .null),
        ])
    }

    /// What `key list --format json` shows of it (never the hash).
    package var listing: JSONValue {
        .object([
            ("name", .string(name)), ("user", user.map(JSONValue.string) ?? .null), ("service", .bool(isService)),
            ("created_at", .string(createdAt)), ("created_by", .string(createdBy)),
            ("revoked_at", revokedAt.map(JSONValue.string) ?? .null),
        ])
    }
}

/// The service's keys, as the store keeps them (`keys.json` in the file store):
/// made by `key create`, listed by `key list`, revoked by `key revoke`; the service
/// checks every request's `Authorization: Bearer KEY` against them.
package struct ServiceKeys: Sendable, Equatable {
    package var keys: [ServiceKey] = []

    package init(keys: [ServiceKey] = []) { self.keys = keys }

    /// Every key begins so, which tells a Clientele key from other secrets in a config or a log.
    static let prefix = "clt_"

    /// The keys `store` holds (none before the first one is made).
    package static func load(_ store: any CustomerStore) throws(OperationError) -> ServiceKeys {
        let bytes: [UInt8]?
        do { bytes = try store.readKeys() } catch { throw .store(error) }
        guard let bytes else { return ServiceKeys() }
        return try parse(bytes, location: store.location)
    }

    static func parse(_ bytes: [UInt8], location: String) throws(OperationError) -> ServiceKeys {
        let damaged = OperationError.store(StoreError("the service keys of \(location) are not a keys record"))
        guard let text = String(validating: bytes, as: UTF8.self), let json = try? JSONValue.parse(text),
            case .object(let top) = json, case .array(let items)? = json["keys"], Self.distinctKeys(top)
        else { throw damaged }
        var keys: [ServiceKey] = []
        /// A member that is a string or null (or absent): anything else is damage, never read as absent.
        func optional(_ item: JSONValue, _ key: String) throws(OperationError) -> String? {
            switch item[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw damaged
            }
        }
        for item in items {
            guard case .object(let members) = item, Self.distinctKeys(members), let name = item["name"]?.stringValue,
                let hash = item["sha256"]?.stringValue,
                let createdAt = item["created_at"]?.stringValue, let createdBy = item["created_by"]?.stringValue,
                ServiceKeys.bytes(hex: hash)?.count == 32
            else { throw damaged }
            let (user, revokedAt, revokedBy) = (
                try optional(item, "user"), try optional(item, "revoked_at"), try optional(item, "revoked_by")
            )
            guard Timestamp.parseDateTime(createdAt) != nil,
                revokedAt.map({ Timestamp.parseDateTime($0) != nil }) ?? true,
                Self.isValidName(name)
            else { throw damaged }
            keys.append(
                ServiceKey(
                    name: name, user: user, hash: hash, createdAt: createdAt, createdBy: createdBy,
                    revokedAt: revokedAt, revokedBy: revokedBy))
        }
        return ServiceKeys(keys: keys)
    }

    /// Whether no member is given twice: a repeated one is damage, never read as its first value.
    static func distinctKeys(_ members: [(String, JSONValue)]) -> Bool {
        var seen = Set<String>()
        return members.allSatisfy { seen.insert($0.0).inserted }
    }

    /// The record as stored.
    package var encoded: [UInt8] {
        Array((JSONValue.object([("keys", .array(keys.map(\.json)))]).jsonText + "\n").utf8)
    }

    /// Makes a key for `user` (nil: a service key) named `name` (default `key-N`);
    /// returns it with the key itself, which is never stored.
    package mutating func create(user: String?, name: String?, by actor: String, at time: String)
        throws(OperationError) -> (key: ServiceKey, secret: String)
    {
        let name = name ?? nextName()
        guard Self.isValidName(name) else {
            throw .invalid(["a key's name is 1 to 64 letters, digits, '-', '_' or '.', not '\(name)'"])
        }
        guard !keys.contains(where: { $0.name == name }) else {
            throw .conflict(["there is already a key named '\(name)' (names are never used again, even revoked)"])
        }
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let secret = Self.prefix + Self.base64URL(bytes)
        let key = ServiceKey(
            name: name, user: user, hash: Self.digestHex(secret), createdAt: time, createdBy: actor)
        keys.append(key)
        return (key, secret)
    }

    /// Revokes the key named `name`: from then on it is refused (401).
    package mutating func revoke(_ name: String, by actor: String, at time: String) throws(OperationError) -> ServiceKey
    {
        guard let k = keys.firstIndex(where: { $0.name == name }) else {
            throw .notFound(
                "there is no key '\(name)'\(keys.isEmpty ? "" : "; the keys are \(keys.map(\.name).joined(separator: ", "))")"
            )
        }
        guard keys[k].revokedAt == nil else { throw .conflict(["the key '\(name)' is already revoked"]) }
        keys[k].revokedAt = time
        keys[k].revokedBy = actor
        return keys[k]
    }

    /// The key a request presents, when it is one of these and not revoked. The
    /// presented key's SHA-256 is compared with every key's, each in constant time,
    /// so the time taken tells nothing about which bytes matched.
    package func authenticate(_ presented: some StringProtocol) -> ServiceKey? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var found: ServiceKey?
        for key in keys where Self.constantTimeEqual(key.digest, digest) && !key.isRevoked { found = key }
        return found
    }

    private func nextName() -> String {
        var n = keys.count + 1
        while keys.contains(where: { $0.name == "key-\(n)" }) { n += 1 }
        return "key-\(n)"
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F || $0 == 0x2E
            }
    }

    static func digestHex(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// Equal lengths and bytes, reading every byte whatever it finds.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            var n = UInt32(bytes[i]) << 16
            if rest == 2 { n |= UInt32(bytes[i + 1]) << 8 }
            for shift in [18, 12, 6, 0].prefix(rest + 1) { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `key create`, `key list`, `key revoke`: keys are data of the store (secrets do
/// not belong in a YAML repository), managed by users who may configure.
package struct KeyAdministration {
    package let directory: ConfigDirectory

    package init(directory: ConfigDirectory) { self.directory = directory }

    /// Makes a key for `user` (nil with `service`: a service key); returns it and the key itself.
    package func create(as actor: String, user: String?, name: String?, time: String) throws(OperationError) -> (
        key: ServiceKey, secret: String
    ) {
        try change(as: actor, doing: "make service keys") { keys, config throws(OperationError) in
            if let user { _ = try config.actingUser(user) }
            return try keys.create(user: user, name: name, by: actor, at: time)
        }
    }

    /// Revokes the key named `name`.
    package func revoke(as actor: String, name: String, time: String) throws(OperationError) -> ServiceKey {
        try change(as: actor, doing: "revoke service keys") { keys, _ throws(OperationError) in
            try keys.revoke(name, by: actor, at: time)
        }
    }

    /// Every key, revoked ones included.
    package func list(as actor: String) throws(OperationError) -> [ServiceKey] {
        let applied = try directory.openApplied(writer: nil, actor: actor)
        try applied.config.refuseUnlessConfigure(try applied.config.actingUser(actor), doing: "list service keys")
        return try ServiceKeys.load(applied.store).keys
    }

    private func change<R>(
        as actor: String, doing: String, _ body: (inout ServiceKeys, CompiledConfig) throws(OperationError) -> R
    ) throws(OperationError) -> R {
        let applied = try directory.openApplied(writer: "clientele key", actor: actor)
        try applied.config.refuseUnlessConfigure(try applied.config.actingUser(actor), doing: doing)
        var keys = try ServiceKeys.load(applied.store)
        let result = try body(&keys, applied.config)
        do { try applied.store.saveKeys(keys.encoded) } catch { throw .store(error) }
        return result
    }
}
