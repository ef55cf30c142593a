/// Hands values that are safe by construction (disjoint writes, read-only memory)
/// to concurrent workers.
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
