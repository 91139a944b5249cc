#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace ds::app {

/// Caps what the allocator keeps of freed memory, the one part of the
/// process's RSS that no record count describes: every `interval` it reads
/// jemalloc's dirty pages and, past `limit` bytes, hands them all back to
/// the kernel. jemalloc keeps freed pages for its decay time (10 s), and
/// what it keeps then grows with the rate at which records churn; a
/// shorter decay bounded it by time only, and cost CPU on every budget
/// (docs/tuning.md, "The memory budget"). The cap costs nothing until it is
/// reached. Inert where the process does not run on jemalloc (tests,
/// sanitizers).
class allocator_governor {
public:
  allocator_governor(std::size_t limit, std::chrono::milliseconds interval,
                     prometheus::Registry& reg);
  ~allocator_governor();

  allocator_governor(const allocator_governor&) = delete;
  allocator_governor& operator=(const allocator_governor&) = delete;

private:
  void run();

  std::size_t limit_;
  std::chrono::milliseconds interval_;
  prometheus::Counter& purges_;
  prometheus::Counter& purged_bytes_;
  std::mutex mtx_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace ds::app
