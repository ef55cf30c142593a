import ClienteleCore

/// A library that ships inside the binary; its source is the repository's
/// top-level `schemas/` or `rules/` folder (see EmbeddedLibraries.swift).
package struct BuiltinLibrary: Sendable {
    package enum Kind: Sendable { case standardFields, rules }

    package var name: String
    package var kind: Kind
    /// Shown in diagnostics, e.g. `<built-in>/rules/default-rules.yaml`.
    package var displayPath: String
    package var text: String

    package static let all: [BuiltinLibrary] = [
        BuiltinLibrary(
            name: "standard-fields", kind: .standardFields,
            displayPath: "<built-in>/schemas/standard-fields.yaml", text: EmbeddedLibraries.standardFields),
        BuiltinLibrary(
            name: "default-rules", kind: .rules,
            displayPath: "<built-in>/rules/default-rules.yaml", text: EmbeddedLibraries.defaultRules),
    ]

    package static func named(_ name: String) -> BuiltinLibrary? {
        all.first { $0.name == name }
    }
}
