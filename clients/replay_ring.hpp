#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "clients/fwd.hpp"

namespace ds::clients {

/// The recent forwarded records of every partition, bounded in bytes: the
/// oldest record of all is evicted first. A plain class; the fan-out owns
/// it.
///
/// Coverage: forwarded records have holes in their offsets (rejected
/// records go to the DLQ, not to clients), so the ring remembers from
/// which offset on it has seen every forwarded record of a partition
/// (`covered_from`): a resume after an offset below it cannot be served
/// from the ring.
class replay_ring {
public:
  explicit replay_ring(std::size_t max_bytes);

  /// Appends `r` (offsets increase per partition; an older or equal offset
  /// is ignored: a redelivered record is already here).
  void push(const record_ptr& r);

  struct partition_view {
    /// The first offset from which every forwarded record is retained.
    int64_t covered_from = 0;
    /// The last offset pushed.
    int64_t latest = -1;
  };
  std::optional<partition_view> partition(int32_t p) const;
  std::vector<int32_t> partitions() const;

  /// Appends to `out` the records of `p` after offset `after` that `sub`
  /// sees, at most `limit`; returns how many it appended. The last offset
  /// it looked at (appended or skipped for another tenant) goes to
  /// `last_seen`.
  std::size_t collect(int32_t p, int64_t after, const subscription& sub,
                      std::size_t limit, std::vector<record_ptr>& out,
                      int64_t& last_seen) const;

  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t records() const noexcept { return count_; }
  uint64_t evicted() const noexcept { return evicted_; }

private:
  struct lane {
    std::deque<record_ptr> records;
    int64_t covered_from = 0;
    int64_t latest = -1;
  };
  void evict_oldest();

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::size_t count_ = 0;
  uint64_t evicted_ = 0;
  std::map<int32_t, lane> lanes_;
  /// Partition of every retained record, oldest first.
  std::deque<int32_t> order_;
};

} // namespace ds::clients
