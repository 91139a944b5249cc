#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fwd.hpp"
#include "actors/sequence_checker.hpp"
#include "actors/validator_probe.hpp"
#include "actors/vocabulary.hpp"

namespace ds::actors {

// A per-thread sequence validator (handle: validator_actor, actors/fwd.hpp).
// Partition readers route each thread to one validator by a stable hash of
// its id, so a thread's messages arrive in partition order at a single
// actor and need no locking.

struct validator_state {
  static inline const char* name = "validator";
  std::shared_ptr<sequence_checker> checker;
  std::shared_ptr<validator_probe> probe;
  validator_stats stats;
  // Gap warnings are rate-limited (at most one line per second per
  // validator) so a bad producer cannot turn the log into a hot path.
  caf::actor_clock::time_point next_gap_log{};
  uint64_t suppressed_gap_logs = 0;
  // The record being checked, for the exit reason if the check throws.
  bool busy = false;
  int32_t current_partition = 0;
  int64_t current_offset = 0;
};

/// Runs on the CAF scheduler and never blocks. State is lost on a restart;
/// that is safe because the first sequence seen is a baseline (§8.7).
validator_actor::behavior_type
validator(validator_actor::stateful_pointer<validator_state> self,
          sequence_checker_config cfg,
          const std::shared_ptr<validator_probe>& probe);

} // namespace ds::actors
