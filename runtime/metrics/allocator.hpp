#pragma once

#include <cstddef>
#include <optional>

namespace ds::metrics {

/// jemalloc's statistics and purge, when the process runs on jemalloc
/// (linked, as the dashstream program is by default, or preloaded). Found at
/// run time, so nothing here depends on jemalloc; without it every call
/// answers "not available". Thread-safe: jemalloc's mallctl is.
class allocator {
public:
  /// What jemalloc counts, in bytes, as of one refresh.
  struct stats {
    std::size_t allocated = 0; ///< in use by the program
    std::size_t active = 0;    ///< in pages that hold allocations
    std::size_t resident = 0;  ///< in RAM, kept free pages included
    std::size_t retained = 0;  ///< address space kept, not in RAM
    /// Freed pages kept for reuse, not yet handed back to the kernel.
    std::size_t dirty = 0;
  };

  /// The process's allocator (looked up once).
  static const allocator& get();

  bool available() const noexcept { return mallctl_ != nullptr; }

  /// A fresh reading; nothing without jemalloc.
  std::optional<stats> read() const;

  /// Hands every arena's freed pages back to the kernel. False without
  /// jemalloc or if it refused.
  bool purge() const;

private:
  using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*,
                             std::size_t);
  allocator();

  mallctl_fn mallctl_ = nullptr;
};

} // namespace ds::metrics
