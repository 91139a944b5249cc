#include "runtime/metrics/allocator.hpp"

#include <cstdint>

#include <dlfcn.h>

namespace ds::metrics {

namespace {

// "All arenas" in jemalloc's mallctl names (MALLCTL_ARENAS_ALL).
constexpr const char* all_arenas_dirty = "stats.arenas.4096.pdirty";
constexpr const char* all_arenas_purge = "arena.4096.purge";

} // namespace

allocator::allocator()
  : mallctl_(reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT, "mallctl"))) {}

const allocator& allocator::get() {
  static const allocator instance;
  return instance;
}

std::optional<allocator::stats> allocator::read() const {
  if (mallctl_ == nullptr) {
    return std::nullopt;
  }
  // jemalloc's statistics are a snapshot refreshed by writing "epoch".
  uint64_t epoch = 1;
  auto len = sizeof(epoch);
  if (mallctl_("epoch", &epoch, &len, &epoch, len) != 0) {
    return std::nullopt;
  }
  auto get = [this](const char* name, std::size_t& out) {
    auto n = sizeof(out);
    return mallctl_(name, &out, &n, nullptr, 0) == 0;
  };
  stats s;
  std::size_t page = 0;
  std::size_t dirty_pages = 0;
  if (!get("stats.allocated", s.allocated) || !get("stats.active", s.active) ||
      !get("stats.resident", s.resident) ||
      !get("stats.retained", s.retained) || !get("arenas.page", page) ||
      !get(all_arenas_dirty, dirty_pages)) {
    return std::nullopt;
  }
  s.dirty = dirty_pages * page;
  return s;
}

bool allocator::purge() const {
  return mallctl_ != nullptr &&
         mallctl_(all_arenas_purge, nullptr, nullptr, nullptr, 0) == 0;
}

} // namespace ds::metrics
