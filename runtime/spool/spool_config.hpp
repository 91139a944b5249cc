#pragma once

#include <cstdint>
#include <string>

namespace ds::spool {

/// Settings of one spool directory (from the [dlq] config section).
struct spool_config {
  std::string dir;
  /// A segment is sealed (and a new one started) once an append would take
  /// it past this size; one append never spans two segments.
  uint64_t segment_bytes = 64ull << 20;
  /// Most bytes all segment files together may hold.
  uint64_t budget_bytes = 1ull << 30;
};

} // namespace ds::spool
