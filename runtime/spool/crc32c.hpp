#pragma once

#include <cstddef>
#include <cstdint>

namespace ds::spool {

/// CRC-32C (Castagnoli), the frame checksum of spool segments. Feed pieces
/// in order through `crc32c_extend`, starting from `crc32c_init`, and finish
/// with `crc32c_final`. Computed by ISA-L, which picks the fastest kernel
/// the CPU has (PCLMULQDQ folding, the SSE4.2 instruction, or a table).
inline constexpr uint32_t crc32c_init = 0xFFFFFFFFu;
uint32_t crc32c_extend(uint32_t state, const void* data, std::size_t size);
inline uint32_t crc32c_final(uint32_t state) {
  return ~state;
}

} // namespace ds::spool
