#include "runtime/spool/crc32c.hpp"

#include <algorithm>
#include <climits>

#include <immintrin.h>
#include <isa-l/crc.h>

namespace ds::spool {

namespace {

// ISA-L's AVX-512 kernel (crc32_iscsi_by16_10) returns with the upper
// halves of the vector registers dirty and no VZEROUPPER, so every
// legacy-SSE instruction the calling thread runs afterwards pays a
// transition penalty until something clears them: a 1.25 KB CRC and an
// SSE copy loop took 193 ns instead of 76 (bench/spool_bench crc_then_sse,
// docs/benchmarks.md, "Spool"). Only a CPU with AVX can be in that
// state, and only there is the instruction legal.
__attribute__((target("avx"))) void clear_upper_state() {
  _mm256_zeroupper();
}

const bool has_avx = __builtin_cpu_supports("avx");

} // namespace

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
  if (has_avx) {
    clear_upper_state();
  }
  return state;
}

} // namespace ds::spool
