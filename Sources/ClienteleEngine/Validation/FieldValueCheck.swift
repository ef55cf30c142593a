import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Foundation

/// One field, compiled: its spec turned into lookup tables and ready-made messages.
package final class FieldValueCheck: Sendable {
    let field: Field
    let spec: FieldSpec
    /// Options and their old spellings -> option index.
    let options: ByteKeyTable?
    let pattern: Pattern?
    let minimum: Double?
    let maximum: Double?
    let maxLength: Int?
    let extensions: Set<String>

    package init(field: Field) {
        self.field = field
        spec = field.spec
        if spec.base == .select || spec.base == .multiselect {
            var pairs: [(String, Int)] = []
            for (k, o) in spec.options.enumerated() {
                pairs.append((o.value, k))
                for w in o.was { pairs.append((w, k)) }
            }
            options = ByteKeyTable(pairs)
        } else {
            options = nil
        }
        pattern = spec.pattern.flatMap { try? Pattern($0) }
        minimum = spec.min?.value
        maximum = spec.max?.value
        maxLength = spec.effectiveMaxLength
        extensions = Set(spec.extensions)
    }

    var label: String { field.label }

    /// Whether the value at `i` counts as given (null and "" and [] do not).
    package static func isGiven(_ view: JSONView, _ i: Int) -> Bool {
        let t = view.token(i)
        switch t.kind {
        case .null: return false
        case .string: return t.end > t.start
        case .array: return t.count > 0
        default: return true
        }
    }

    /// Checks one value of a one-identity field; nil when it is valid.
    package func check(_ view: JSONView, _ i: Int) -> String? {
        switch spec.base {
        case .input, .text: return checkText(view, i)
        case .select: return checkSelect(view, i)
        case .multiselect: return checkMultiselect(view, i)
        case .integer: return checkInteger(view, i)
        case .decimal: return checkDecimal(view, i)
        case .boolean:
            let k = view.kind(i)
            return k == .true || k == .false ? nil : "\(label) expects true or false, got \(Shown.value(view, i))"
        case .date:
            guard view.kind(i) == .string else {
                return "\(label) expects a date written YYYY-MM-DD, got \(Shown.value(view, i))"
            }
            if view.withString(i, ValueFormats.isDate) { return nil }
            let s = view.string(i)
            let shapeOK =
                s.count == 10
                && s.enumerated().allSatisfy { k, c in (k == 4 || k == 7) ? c == "-" : c.isASCII && c.isNumber }
            return "\(label) expects a date written YYYY-MM-DD, got \(Shown.text(s))\(shapeOK ? " (no such day)" : "")"
        case .datetime:
            guard view.kind(i) == .string, view.withString(i, ValueFormats.isDateTime) else {
                return
                    "\(label) expects a date and time with an offset, like 2026-11-23T09:00:00Z or 2026-11-23T17:00:00+08:00, got \(Shown.value(view, i))"
            }
            return nil
        case .upload: return checkUpload(view, i)
        case .area: return AreaCheck.problem(view, i).map { "\(label) \($0)" }
        case .relate: return nil  // checked per path by the record validator
        }
    }

    private func checkText(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .string else { return "\(label) expects text, got \(Shown.value(view, i))" }
        return view.withString(i) { b -> String? in
            if let c = ValueFormats.controlCharacter(b) {
                return "\(label) may not hold the control character U+\(String(format: "%04X", c))"
            }
            if let maxLength, b.count > maxLength {
                let n = ValueFormats.scalarCount(b)
                if n > maxLength { return "\(label) is \(n) characters long; at most \(maxLength) are allowed" }
            }
            if let format = spec.format {
                switch format {
                case .email:
                    if !ValueFormats.isEmail(b) {
                        let invisible = ValueFormats.invisibleCharacter(b).map {
                            " (it holds the invisible character U+\(String(format: "%04X", $0.value)))"
                        }
                        return
                            "\(label) expects an e-mail address like name@example.com, got \(Shown.text(view.string(i)))\(invisible ?? "")"
                    }
                case .phone:
                    if !ValueFormats.isPhone(b) {
                        return
                            "\(label) expects a phone number (3 to 20 digits; spaces, dashes, dots, parentheses and a leading + allowed), got \(Shown.text(view.string(i)))"
                    }
                case .url:
                    if !ValueFormats.isURL(b) {
                        let s = view.string(i)
                        let repaired = spec.normalize == .url ? Normalizer.normalize(s, .url) : nil
                        if let repaired, Array(repaired.utf8).withUnsafeBufferPointer(ValueFormats.isURL) { return nil }
                        return "\(label) expects a web address starting with http:// or https://, got \(Shown.text(s))"
                    }
                }
            }
            if let pattern, !pattern.matches(view.string(i)) {
                return "\(label) must match the pattern \(pattern.source), got \(Shown.text(view.string(i)))"
            }
            return nil
        }
    }

    private func optionList() -> String { Shown.list(spec.options.map(\.value)) }

    private func checkSelect(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .string else {
            return "\(label) expects one of \(optionList()), got \(Shown.value(view, i))"
        }
        if spec.canEnter {
            return view.withString(i) { b in b.count > 255 && ValueFormats.scalarCount(b) > 255 }
                ? "\(label) is longer than 255 characters" : nil
        }
        if view.withString(i, { options!.lookup($0) }) != nil { return nil }
        return "\(label) expects one of \(optionList()), got \(Shown.text(view.string(i)))"
    }

    private func checkMultiselect(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .array else { return "\(label) expects a list of options, got \(Shown.value(view, i))" }
        var seen: [Int] = []
        var seenText: Set<String> = []
        var j = i + 1
        while j < view.next(i) {
            defer { j = view.next(j) }
            guard view.kind(j) == .string else {
                return "\(label) expects a list of options, but one item is \(Shown.value(view, j))"
            }
            if spec.canEnter {
                if !seenText.insert(view.string(j)).inserted {
                    return "\(label) lists \(Shown.text(view.string(j))) twice"
                }
                continue
            }
            guard let k = view.withString(j, { options!.lookup($0) }) else {
                return "\(label) expects options among \(optionList()), got \(Shown.text(view.string(j)))"
            }
            if seen.contains(k) { return "\(label) lists \(Shown.text(spec.options[k].value)) twice" }
            seen.append(k)
        }
        return nil
    }

    private func range(_ value: Double, _ text: @autoclosure () -> String) -> String? {
        if let minimum, value < minimum { return "\(label) must be at least \(spec.min!.text), got \(text())" }
        if let maximum, value > maximum { return "\(label) must be at most \(spec.max!.text), got \(text())" }
        return nil
    }

    private func checkInteger(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .number else { return "\(label) expects a whole number, got \(Shown.value(view, i))" }
        guard let v = ValueFormats.integer(view.raw(i)) else {
            return "\(label) expects a whole number, got \(view.string(i))"
        }
        if minimum != nil || maximum != nil { return range(Double(v), String(v)) }
        return nil
    }

    private func checkDecimal(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .number else { return "\(label) expects a number, got \(Shown.value(view, i))" }
        let raw = view.raw(i)
        // Only a long literal or one with an exponent can overflow to infinity (1e400).
        if raw.count > 17 || raw.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let v = ValueFormats.double(raw), v.isFinite else {
                return "\(label) expects a finite number, got \(view.string(i))"
            }
        }
        if let scale = spec.scale, ValueFormats.scale(raw) > scale {
            return "\(label) allows at most \(scale) decimal places, got \(view.string(i))"
        }
        if minimum != nil || maximum != nil {
            guard let v = ValueFormats.double(raw) else { return "\(label) expects a number, got \(view.string(i))" }
            if let message = range(v, "") { return message + view.string(i) }
        }
        return nil
    }

    private func checkUpload(_ view: JSONView, _ i: Int) -> String? {
        guard view.kind(i) == .array else {
            return "\(label) expects a list of stored file references, got \(Shown.value(view, i))"
        }
        if let maxFiles = spec.maxFiles, view.token(i).count > maxFiles {
            return "\(label) holds \(view.token(i).count) files; at most \(maxFiles) are allowed"
        }
        var j = i + 1
        while j < view.next(i) {
            defer { j = view.next(j) }
            var reference: String?
            var size: Int?
            switch view.kind(j) {
            case .string:
                reference = view.string(j)
            case .object:
                var k = j + 1
                while k < view.next(j) {
                    let key = view.string(k)
                    if key == "file", view.kind(k + 1) == .string {
                        reference = view.string(k + 1)
                    } else if key == "size", view.kind(k + 1) == .number {
                        size = ValueFormats.integer(view.raw(k + 1))
                    } else if key != "name" && key != "type" {
                        return "\(label): a file entry has the unknown key '\(key)' (use file, name, size, type)"
                    }
                    k = view.next(k + 1)
                }
            default:
                break
            }
            guard let reference else {
                return
                    "\(label) expects file references (text, or {\"file\": ..., \"size\": ...}), but one item is \(Shown.value(view, j))"
            }
            guard ValueFormats.isFileReference(reference) else {
                return "\(label) refers to \(Shown.text(reference)), which is not a file inside the store"
            }
            if !extensions.isEmpty {
                let ext =
                    reference.split(separator: "/").last.flatMap { name in
                        name.contains(".") ? name.split(separator: ".").last.map { $0.lowercased() } : nil
                    } ?? ""
                if !extensions.contains(ext) {
                    return
                        "\(label) accepts files ending in \(spec.extensions.map { "." + $0 }.joined(separator: ", ")), got \(Shown.text(reference))"
                }
            }
            if let maxSize = spec.maxSize, let size, size > maxSize {
                return "\(label) accepts files of at most \(maxSize) bytes; \(Shown.text(reference)) has \(size)"
            }
        }
        return nil
    }
}
