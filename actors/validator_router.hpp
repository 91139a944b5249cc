#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/vocabulary.hpp"

namespace ds::actors {

/// Stable routing: FNV-1a over the thread id, so a thread always lands on
/// the same validator, across partitions, restarts and processes.
uint32_t validator_index(std::string_view thread_id, uint32_t validators);

/// Routes a partition's sequenced headers to the validators that own their
/// threads: one batch per validator per polled batch (the actor runtime's
/// per-message cost dominated when every record was its own request,
/// docs/bench/history.md, session 1), kept until answered so a restarted
/// validator gets exactly the unanswered ones again. A plain class: the
/// partition reader's shell sends what it builds.
class validator_router {
public:
  using batch_ptr = std::shared_ptr<const validation_batch>;

  validator_router(int32_t partition, uint32_t validators);

  uint32_t validators() const {
    return static_cast<uint32_t>(outstanding_.size());
  }

  /// Starts the next record; route() its headers, then fanout() says how
  /// many validators it went to (0: nothing to validate).
  void begin_record() { routed_.clear(); }
  void route(int64_t offset, std::string_view thread_id, uint64_t sequence);
  uint32_t fanout() const { return static_cast<uint32_t>(routed_.size()); }

  /// The batches built since the last take(), by validator index; each is
  /// outstanding until answered().
  std::vector<std::pair<uint32_t, batch_ptr>> take();

  void answered(uint32_t idx, const batch_ptr& b);

  /// Validator `idx` restarted: its unanswered batches again, without the
  /// records `pending` no longer holds (they left, e.g. as poison). Calls
  /// `resent(offset)` once per record sent again.
  std::vector<batch_ptr> redeliver(uint32_t idx,
                                   const std::function<bool(int64_t)>& pending,
                                   const std::function<void(int64_t)>& resent);

private:
  int32_t partition_;
  std::vector<std::shared_ptr<validation_batch>> building_;
  std::vector<std::deque<batch_ptr>> outstanding_;
  std::vector<uint32_t> routed_; // the current record's validators
};

} // namespace ds::actors
