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
  /// Write segments with O_DIRECT when the filesystem allows it (open()
  /// falls back to buffered writes where it does not, e.g. ramfs). Skips the
  /// kernel's copy of every batch into the page cache and its writeback; each
  /// append then ends on a 4 KiB boundary (padding frame).
  bool direct_io = true;
};

} // namespace ds::spool
