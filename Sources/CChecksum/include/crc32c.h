#ifndef CLIENTELE_CRC32C_H
#define CLIENTELE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (0 to start):
/// the checksum of each committed batch of the document log. Uses the processor's
/// CRC32 instruction where there is one (SSE 4.2, ARMv8 CRC), else a table.
uint32_t clientele_crc32c(uint32_t crc, const void *bytes, size_t length);

#endif
