import ClienteleCore

/// "Did you mean" suggestions by edit distance.
package enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a likely typo.
    package static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        // Words of one or two letters are only "misspelled" by case (d for D).
        let limit = word.count < 3 ? 0 : max(1, min(3, word.count / 3))
        var best: (String, Int)?
        let lowered = word.lowercased()
        for candidate in candidates where abs(candidate.count - word.count) <= limit {
            let d = distance(lowered, candidate.lowercased())
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    /// "; did you mean 'x'?" or the empty string.
    package static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// "; did you mean 'x'?" when a candidate is close, otherwise "; the <things> are a, b, c".
    package static func hint(_ word: String, in candidates: [String], listing things: String) -> String {
        if let close = closest(to: word, in: candidates) { return "; did you mean '\(close)'?" }
        return "; the \(things) are \(candidates.joined(separator: ", "))"
    }

    /// Damerau-Levenshtein distance (adjacent swaps count once).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
