#include "runtime/spool/crc32c.hpp"

#include <algorithm>
#include <climits>

#include <isa-l/crc.h>

namespace ds::spool {

uint32_t crc32c_extend(uint32_t state, const void* data, std::size_t size) {
  // ISA-L takes the running remainder as it is (no inversion of its own)
  // and an int length: larger inputs go in pieces.
  constexpr std::size_t max_piece = INT_MAX / 2;
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  do {
    auto n = std::min(size, max_piece);
    state = crc32_iscsi(p, static_cast<int>(n), state);
    p += n;
    size -= n;
  } while (size > 0);
  return state;
}

} // namespace ds::spool
