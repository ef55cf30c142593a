import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// The syntax tree of a rule expression (spec section 7). Every node keeps the
/// character offset where it starts in the expression text, so that errors can
/// point inside the YAML string.
package indirect enum Syntax: Sendable, Equatable {
    case literal(Literal, at: Int)
    /// `user.roles`, `customer.level`, `account_executive`, `now`
    case path([String], at: Int)
    case call(String, [Argument], at: Int)
    case list([Syntax], at: Int)
    case not(Syntax, at: Int)
    case binary(BinaryOperator, Syntax, Syntax, at: Int)

    package enum Literal: Sendable, Equatable {
        case string(String)
        case number(Double)
        /// A duration in days (`30d`, `12h`, `90m`).
        case duration(Double, text: String)
        case bool(Bool)
        case null
    }

    package struct Argument: Sendable, Equatable {
        /// `depth:` in `manages(u, depth: 2)`; nil for a positional argument.
        package var label: String?
        package var value: Syntax
    }

    package enum BinaryOperator: String, Sendable, Equatable {
        case and, or
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case `in`, contains
    }

    package var offset: Int {
        switch self {
        case .literal(_, let at), .path(_, let at), .call(_, _, let at), .list(_, let at), .not(_, let at): return at
        case .binary(_, let lhs, _, _): return lhs.offset
        }
    }
}

/// A mistake in an expression, at a character offset of its text.
package struct ExpressionError: Error, Sendable, Equatable {
    package var message: String
    package var offset: Int

    package init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }
}
