#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

#include "config/daemon_config.hpp"
#include "runtime/dlq_store/sink.hpp"
#include "tests/dlq/samples.hpp"
#include "tests/support/temp_dir.hpp"

namespace ds::test {

/// Counts done callbacks; wait() blocks until `n` arrived.
class done_counter {
public:
  dlq_store::sink::done_fn make(int64_t id) {
    return [this, id](const caf::error& err) {
      std::lock_guard guard{mu_};
      if (err) {
        failed_.push_back(id);
      } else {
        ok_.push_back(id);
      }
      cv_.notify_all();
    };
  }

  bool wait(size_t n, std::chrono::seconds timeout) {
    std::unique_lock lk{mu_};
    return cv_.wait_for(lk, timeout,
                        [&] { return ok_.size() + failed_.size() >= n; });
  }

  std::vector<int64_t> ok() const {
    std::lock_guard guard{mu_};
    return ok_;
  }
  std::vector<int64_t> failed() const {
    std::lock_guard guard{mu_};
    return failed_;
  }

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> ok_;
  std::vector<int64_t> failed_;
};

} // namespace ds::test
