/// Hands values that are safe by construction (disjoint writes, read-only memory)
/// to concurrent workers.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The value handed over.
    public let value: Value
    /// Wraps `value`; the caller vouches that sharing it is safe.
    public init(_ value: Value) { self.value = value }
}
