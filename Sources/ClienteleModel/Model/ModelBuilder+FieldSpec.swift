import ClienteleCore
import ClienteleSpec
import Foundation

extension ModelBuilder {
    /// Applies refinement keys to a spec, refusing keys that belong to another base type.
    func apply(_ a: FieldAttributes, to spec: inout FieldSpec, subject: String) {
        func applies(_ key: String, at location: SourceLocation?) -> Bool {
            guard let location else { return false }
            let bases = FieldAttributes.keys.first { $0.key == key }?.bases ?? []
            if bases.contains(spec.base.rawValue) { return true }
            let owners = bases.count == 1 ? bases[0] : bases.dropLast().joined(separator: ", ") + " and " + bases.last!
            diagnostics.error(
                "'\(key)' does not apply to \(subject) of type \(spec.base.rawValue); it belongs to \(owners)",
                at: location)
            return false
        }
        if let v = a.maxLength, applies("max_length", at: v.location) {
            if v.value < 1 {
                diagnostics.error("'max_length' of \(subject) must be at least 1 (it is \(v.value))", at: v.location)
            } else {
                spec.maxLength = v.value
            }
        }
        if let v = a.pattern, applies("pattern", at: v.location) {
            do {
                _ = try Pattern(v.value)
                spec.pattern = v.value
            } catch {
                diagnostics.error(
                    "'pattern' of \(subject) is not a supported regular expression: \(error.message) (at character \(error.offset + 1) of \(v.value))",
                    at: v.location)
            }
        }
        if let v = a.format, applies("format", at: v.location) {
            if let f = TextFormat(rawValue: v.value) {
                spec.format = f
            } else {
                let names = TextFormat.allCases.map(\.rawValue)
                diagnostics.error(
                    "'format' of \(subject) is '\(v.value)'\(Suggestion.hint(v.value, in: names, listing: "formats"))",
                    at: v.location)
            }
        }
        if let v = a.normalize, applies("normalize", at: v.location) {
            if let n = Normalization(rawValue: v.value) {
                spec.normalize = n
            } else {
                let names = Normalization.allCases.map(\.rawValue)
                diagnostics.error(
                    "'normalize' of \(subject) is '\(v.value)'\(Suggestion.hint(v.value, in: names, listing: "normalizations"))",
                    at: v.location)
            }
        }
        if let v = a.options, applies("options", at: v.location) {
            spec.options = options(v, subject: subject)
        }
        if let v = a.canEnter, applies("can_enter", at: v.location) { spec.canEnter = v.value }
        if let v = a.min, applies("min", at: v.location) {
            spec.min = integerChecked(v, spec: spec, key: "min", subject: subject)
        }
        if let v = a.max, applies("max", at: v.location) {
            spec.max = integerChecked(v, spec: spec, key: "max", subject: subject)
        }
        if let lo = a.min ?? nil, let hi = a.max ?? nil, spec.min != nil, spec.max != nil,
            lo.value.value > hi.value.value
        {
            diagnostics.error(
                "'min' of \(subject) (\(lo.value)) is greater than its 'max' (\(hi.value))", at: lo.location,
                notes: [.init("'max' is given here", at: hi.location)])
        }
        if let v = a.scale, applies("scale", at: v.location) {
            if (0...18).contains(v.value) {
                spec.scale = v.value
            } else {
                diagnostics.error("'scale' of \(subject) must be between 0 and 18 (it is \(v.value))", at: v.location)
            }
        }
        if let v = a.extensions, let first = v.first, applies("extensions", at: first.location) {
            spec.extensions = v.map { $0.value.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        }
        if let v = a.maxSize, applies("max_size", at: v.location) {
            if v.value < 1 {
                diagnostics.error("'max_size' of \(subject) must be at least 1 byte (it is \(v.value))", at: v.location)
            } else {
                spec.maxSize = v.value
            }
        }
        if let v = a.maxFiles, applies("max_files", at: v.location) {
            if v.value < 1 {
                diagnostics.error("'max_files' of \(subject) must be at least 1 (it is \(v.value))", at: v.location)
            } else {
                spec.maxFiles = v.value
            }
        }
        if let v = a.levels, let first = v.first, applies("levels", at: first.location) {
            checkDuplicates(v.map { ($0.value, $0.location) }, kind: "level", listedIn: "\(subject)")
            spec.levels = v.map(\.value)
        }
        if let tree = a.tree {
            let location: SourceLocation
            switch tree {
            case .inline(let node): location = node.location
            case .file(let path): location = path.location
            }
            if applies("tree", at: location) { spec.tree = relateTree(tree, subject: subject) }
        }
    }

    private func integerChecked(_ v: Located<NumberLiteral>, spec: FieldSpec, key: String, subject: String)
        -> NumberLiteral?
    {
        if spec.base == .integer, v.value.value.rounded() != v.value.value || v.value.text.contains(".") {
            diagnostics.error(
                "'\(key)' of \(subject) must be a whole number for an integer field (it is \(v.value))", at: v.location)
            return nil
        }
        return v.value
    }

    private func options(_ v: Located<[OptionDecl]>, subject: String) -> [SelectOption] {
        if v.value.isEmpty {
            diagnostics.error("'options' of \(subject) is empty; list at least one option", at: v.location)
        }
        var seen: [String: SourceLocation] = [:]
        var result: [SelectOption] = []
        for option in v.value {
            for spelling in [option.value] + option.was {
                if spelling.value.isEmpty {
                    diagnostics.error("an option of \(subject) is empty", at: spelling.location)
                } else if let first = seen[spelling.value] {
                    diagnostics.error(
                        "option '\(spelling.value)' of \(subject) is given twice", at: spelling.location,
                        notes: [.init("'\(spelling.value)' is first given here", at: first)])
                } else {
                    seen[spelling.value] = spelling.location
                }
            }
            result.append(SelectOption(value: option.value.value, was: option.was.map(\.value)))
        }
        return result
    }

    /// Checks what only the whole spec can tell: options present, relate levels
    /// matching the tree, ranges consistent with defaults.
    func finish(_ spec: inout FieldSpec, subject: String, at location: SourceLocation) {
        switch spec.base {
        case .select, .multiselect:
            if spec.options.isEmpty && !(spec.canEnter) {
                diagnostics.error("\(subject) of type \(spec.base.rawValue) needs 'options'", at: location)
            }
        case .relate:
            if spec.levels.isEmpty {
                diagnostics.error(
                    "\(subject) of type relate needs 'levels' (for example [country, province, city])", at: location)
            }
            if spec.tree == nil { diagnostics.error("\(subject) of type relate needs a 'tree'", at: location) }
            if let tree = spec.tree, !spec.levels.isEmpty {
                _ = checkTreeDepth(tree, levels: spec.levels, path: [], subject: subject, at: location)
            }
        default:
            break
        }
    }

    /// Every path must name one value per level; reports the first path that does not.
    private func checkTreeDepth(
        _ tree: RelateTree, levels: [String], path: [String], subject: String, at location: SourceLocation
    ) -> Bool {
        if path.count == levels.count {
            guard let child = tree.order.first else { return true }
            diagnostics.error(
                "the tree of \(subject) goes deeper than its \(levels.count) levels: '\((path + [child]).joined(separator: "/"))'",
                at: location)
            return false
        }
        if tree.children.isEmpty {
            let shown =
                path.isEmpty
                ? "the tree is empty" : "'\(path.joined(separator: "/"))' stops at the \(levels[path.count - 1])"
            diagnostics.error(
                "the tree of \(subject) must name a \(levels[path.count]) on every path, but \(shown)", at: location)
            return false
        }
        for name in tree.order
        where !checkTreeDepth(tree.children[name]!, levels: levels, path: path + [name], subject: subject, at: location)
        {
            return false
        }
        return true
    }

    private func relateTree(_ decl: RelateTreeDecl, subject: String) -> RelateTree? {
        switch decl {
        case .inline(let node):
            return inlineTree(node, subject: subject)
        case .file(let path):
            guard case .some(.some(let file)) = loaded.treeFiles[path.value] else { return nil }
            var root = RelateTree()
            var lineNumber = 0
            for line in file.text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let steps = trimmed.split(separator: "/", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if steps.contains(where: \.isEmpty) {
                    diagnostics.error(
                        "line \(lineNumber) of the tree of \(subject) has an empty step; write paths like China/Zhejiang/Hangzhou",
                        at: SourceLocation(file: file.displayPath, line: lineNumber, column: 1))
                    continue
                }
                insert(steps, into: &root)
            }
            return root
        }
    }

    private func insert(_ steps: [String], into tree: inout RelateTree) {
        guard let first = steps.first else { return }
        if tree.children[first] == nil {
            tree.children[first] = RelateTree()
            tree.order.append(first)
        }
        insert(Array(steps.dropFirst()), into: &tree.children[first]!)
    }

    /// Nested mappings; a level's names may also be a list (the last level) or null.
    private func inlineTree(_ node: Node, subject: String) -> RelateTree {
        var tree = RelateTree()
        if let entries = node.mapping {
            for entry in entries {
                tree.order.append(entry.key.value)
                if let s = entry.value.scalar, s.isNull {
                    tree.children[entry.key.value] = RelateTree()
                } else {
                    tree.children[entry.key.value] = inlineTree(entry.value, subject: subject)
                }
            }
        } else if let items = node.sequence {
            for item in items {
                guard let name = NodeValue.string(item, what: "a name in the tree of \(subject)", diagnostics) else {
                    continue
                }
                if tree.children[name.value] != nil {
                    diagnostics.error(
                        "'\(name.value)' is listed twice at the same level of the tree of \(subject)", at: name.location
                    )
                    continue
                }
                tree.order.append(name.value)
                tree.children[name.value] = RelateTree()
            }
        } else if let s = node.scalar, !s.isNull {
            tree.order = [s.text]
            tree.children[s.text] = RelateTree()
        }
        return tree
    }
}
