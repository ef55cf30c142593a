import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Rewrites values as `normalize:` says, before they are stored or compared for uniqueness.
package enum Normalizer {
    package static func normalize(_ value: String, _ how: Normalization?) -> String {
        guard let how else { return value }
        let trimmed = value.trimmingWhitespace()
        switch how {
        case .trim:
            return trimmed
        case .lowercase:
            return trimmed.lowercased()
        case .digits:
            let digits = trimmed.unicodeScalars.filter { ("0"..."9").contains($0) }
            return (trimmed.hasPrefix("+") ? "+" : "") + String(String.UnicodeScalarView(digits))
        case .url:
            var s = trimmed
            if !s.lowercased().hasPrefix("http://") && !s.lowercased().hasPrefix("https://") { s = "https://" + s }
            guard let schemeEnd = s.range(of: "://") else { return s }
            let afterScheme = s[schemeEnd.upperBound...]
            let hostEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
            return s[..<schemeEnd.upperBound].lowercased() + afterScheme[..<hostEnd].lowercased()
                + afterScheme[hostEnd...]
        }
    }
}

extension String {
    package func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
