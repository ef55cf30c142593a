import ClienteleCore
import ClienteleSpec
import ClienteleModel
/// The refused rows of an import, as they were, in a file of the same format (a CSV
/// file keeps its header), so they can be fixed and imported again.
public enum RejectsFile {
    public static func contents(_ rejected: [RejectedRow], of bytes: UnsafeBufferPointer<UInt8>, format: ImportFormat, raw: Bool = false) throws -> [UInt8] {
        let lines = Set(rejected.map(\.line))
        var out: [UInt8] = []
        switch format {
        case .jsonLines:
            // Lines are found with memchr, and the scan stops after the last refused one.
            guard let base = bytes.baseAddress, let last = lines.max() else { break }
            var number = 1
            var start = 0
            while start < bytes.count, number <= last {
                let end = memchr(base + start, 0x0A, bytes.count - start).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? bytes.count
                if lines.contains(number) { out += bytes[start..<end]; out.append(0x0A) }
                number += 1
                start = end + 1
            }
        case .csv:
            var reader = CSVReader(bytes)
            var first = true
            while let record = try reader.next() {
                if first || lines.contains(record.line) {
                    out += Array(record.cells.map { CSVCell.escaped($0, raw: raw) }.joined(separator: ",").utf8) + [0x0D, 0x0A]
                }
                first = false
            }
        }
        return out
    }
}

import Foundation
