#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "actors/vocabulary.hpp"

namespace ds::actors {

/// What the consumer actor needs from a Kafka consumer-group member. The
/// daemon adapts runtime/kafka's group_consumer to it; tests use a fake.
/// Called only from the consumer actor's own thread.
class record_source {
public:
  struct poll_result {
    std::vector<source_record> records;
    std::vector<int32_t> assigned;
    std::vector<int32_t> revoked;
    bool lost = false;
    /// Infrastructure failures only (never bad records): breaker input.
    std::vector<caf::error> infra_errors;
    /// A broker answered: the cluster is reachable, even if idle.
    bool broker_reachable = false;
  };

  /// Runs synchronously inside poll() before partitions are revoked.
  using revoke_fn = std::function<void(std::span<const int32_t>, bool lost)>;

  virtual ~record_source() = default;

  virtual poll_result poll(std::size_t max, std::chrono::milliseconds timeout,
                           const revoke_fn& on_revoke) = 0;
  virtual caf::error pause(std::span<const int32_t> partitions) = 0;
  virtual caf::error resume(std::span<const int32_t> partitions) = 0;
  /// `next_offset` = the offset after the last fully processed record.
  virtual caf::error store_offset(int32_t partition, int64_t next_offset) = 0;
  virtual caf::error commit(bool wait) = 0;
  /// Low and high watermark as last seen (-1 when unknown).
  virtual std::pair<int64_t, int64_t> watermarks(int32_t partition) = 0;
  /// The same, asked of the broker when nothing is known yet (a partition
  /// just assigned, before its first fetch), waiting at most `timeout`.
  virtual std::pair<int64_t, int64_t>
  current_watermarks(int32_t partition, std::chrono::milliseconds timeout) {
    (void)timeout;
    return watermarks(partition);
  }
  /// Leaves the group, revoking everything through `on_revoke`.
  virtual caf::error close(const revoke_fn& on_revoke) = 0;
};

} // namespace ds::actors
