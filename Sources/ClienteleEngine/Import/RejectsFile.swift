import ClienteleCore
import ClienteleModel
import ClienteleSpec
import Foundation

/// The refused rows of an import, as they were, in a file of the same format (a CSV
/// file keeps its header), so they can be fixed and imported again.
package enum RejectsFile {
    package static func contents(
        _ rejected: [RejectedRow], of bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, raw: Bool = false
    ) throws -> [UInt8] {
        let lines = Set(rejected.map(\.line))
        var out: [UInt8] = []
        switch format {
        case .jsonLines:
            // The scan stops after the last refused line.
            guard let last = lines.max() else { break }
            for line in Lines(bytes) {
                if lines.contains(line.number) {
                    out += line.bytes
                    out.append(0x0A)
                }
                if line.number >= last { break }
            }
        case .csv:
            var reader = CSVReader(bytes)
            var first = true
            while let record = try reader.next() {
                if first || lines.contains(record.line) {
                    out +=
                        Array(record.cells.map { CSVCell.escaped($0, raw: raw) }.joined(separator: ",").utf8) + [
                            0x0D, 0x0A,
                        ]
                }
                first = false
            }
        }
        return out
    }
}
