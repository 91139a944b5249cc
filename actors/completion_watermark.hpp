#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace ds::actors {

/// Per-partition at-least-once bookkeeping: records enter in offset order
/// and may complete in any order (different validators); the commit
/// position only ever covers a record once it *and every earlier record*
/// of the partition is done. Offsets need not be contiguous (compaction,
/// control records), so each in-flight offset is kept.
class completion_watermark {
public:
  /// Registers an offset as in flight. Offsets must increase.
  void track(int64_t offset);

  /// Marks an in-flight offset done; unknown offsets are ignored and
  /// reported as false (a redelivery after a restart may complete twice).
  bool complete(int64_t offset);

  /// The offset to commit (Kafka semantics: the next offset to read), or
  /// nothing if no record has completed since the start.
  std::optional<int64_t> commit_offset() const noexcept { return commit_; }

  /// Records tracked and not yet covered by the commit offset.
  std::size_t in_flight() const noexcept { return pending_.size(); }

  /// The offsets not yet done, in order (for redelivery after a crash).
  template<class F>
  void for_each_unfinished(F&& f) const {
    for (const auto& p : pending_) {
      if (!p.done) {
        f(p.offset);
      }
    }
  }

private:
  struct slot {
    int64_t offset;
    bool done;
  };
  std::deque<slot> pending_;
  std::optional<int64_t> commit_;
  int64_t last_tracked_ = -1;
};

} // namespace ds::actors
