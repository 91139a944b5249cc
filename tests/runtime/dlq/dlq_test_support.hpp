#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "config/daemon_config.hpp"
#include "runtime/dlq/sink.hpp"
#include "tests/support/temp_dir.hpp"

namespace ds::test {

inline std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd() % 1'000'000'000);
}

inline dlq::rejected_record
bad_record(const std::string& topic, int64_t offset,
           const std::string& error_type = "decode_error") {
  dlq::rejected_record r;
  r.source_topic = topic;
  r.partition = static_cast<int32_t>(offset % 3);
  r.offset = offset;
  r.consumer_group = "dashstream";
  r.key = "thread-" + std::to_string(offset % 7);
  r.headers = {
    {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  r.payload = std::string("\x02garbage-") + std::to_string(offset);
  r.error_type = error_type;
  r.error = "unknown framing byte 0x02";
  r.stage = "decode";
  r.exception_class = "ds::proto::errc::unknown_framing";
  r.thread_id = r.key;
  r.tenant_id = offset % 2 == 0 ? "acme" : "globex";
  r.traceparent = r.headers[0].second;
  r.kafka_timestamp_ms = 1'700'000'000'000 + offset;
  return r;
}

/// Counts done callbacks; wait() blocks until `n` arrived.
class done_counter {
public:
  dlq::sink::done_fn make(int64_t id) {
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
