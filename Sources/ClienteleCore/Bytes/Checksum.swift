internal import CChecksum

/// The checksum of a committed batch: CRC-32C, with the processor's instruction where there is one.
package enum Checksum {
    package static func crc32c(_ bytes: UnsafeBufferPointer<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return clientele_crc32c(crc, base, bytes.count)
    }
}
