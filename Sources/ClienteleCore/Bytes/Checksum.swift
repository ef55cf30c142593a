internal import CChecksum

/// The checksum of a committed batch: CRC-32C, with the processor's instruction where there is one.
public enum Checksum {
    /// The CRC-32C of `bytes`, continuing from `crc` (0 to start).
    public static func crc32c(_ bytes: UnsafeBufferPointer<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return clientele_crc32c(crc, base, bytes.count)
    }
}
