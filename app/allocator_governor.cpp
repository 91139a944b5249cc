#include "app/allocator_governor.hpp"

#include "runtime/metrics/allocator.hpp"

namespace ds::app {

namespace {

prometheus::Counter& counter(prometheus::Registry& reg, const char* name,
                             const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

} // namespace

allocator_governor::allocator_governor(std::size_t limit,
                                       std::chrono::milliseconds interval,
                                       prometheus::Registry& reg)
  : limit_(limit), interval_(interval),
    purges_(counter(reg, "dashstream_allocator_purges_total",
                    "Times the allocator's kept free pages passed their "
                    "share of pipeline.memory_budget_bytes and were handed "
                    "back to the kernel")),
    purged_bytes_(counter(reg, "dashstream_allocator_purged_bytes_total",
                          "Bytes of free pages handed back by those purges")) {
  if (metrics::allocator::get().available()) {
    thread_ = std::thread{[this] { run(); }};
  }
}

allocator_governor::~allocator_governor() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void allocator_governor::run() {
  const auto& alloc = metrics::allocator::get();
  std::unique_lock<std::mutex> lock{mtx_};
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    auto st = alloc.read();
    if (st && st->dirty > limit_ && alloc.purge()) {
      purges_.Increment();
      purged_bytes_.Increment(static_cast<double>(st->dirty));
    }
  }
}

} // namespace ds::app
