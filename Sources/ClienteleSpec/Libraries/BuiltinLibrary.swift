import ClienteleCore
/// A library that ships inside the binary; its source is the repository's
/// top-level `schemas/` or `rules/` folder (see EmbeddedLibraries.swift).
public struct BuiltinLibrary: Sendable {
    public enum Kind: Sendable { case standardFields, rules }

    public var name: String
    public var kind: Kind
    /// Shown in diagnostics, e.g. `<built-in>/rules/default-rules.yaml`.
    public var displayPath: String
    public var text: String

    public static let all: [BuiltinLibrary] = [
        BuiltinLibrary(name: "standard-fields", kind: .standardFields,
                       displayPath: "<built-in>/schemas/standard-fields.yaml", text: EmbeddedLibraries.standardFields),
        BuiltinLibrary(name: "default-rules", kind: .rules,
                       displayPath: "<built-in>/rules/default-rules.yaml", text: EmbeddedLibraries.defaultRules),
    ]

    public static func named(_ name: String) -> BuiltinLibrary? {
        all.first { $0.name == name }
    }
}
