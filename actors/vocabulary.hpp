#pragma once

// Every atom and message type the actors exchange, in one place, so a
// protocol change is one reviewable diff. Handles live beside each actor.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace ds::actors {

// -- atoms --------------------------------------------------------------------

using validate_atom = caf::atom_constant<caf::atom("validate")>;
using reset_atom = caf::atom_constant<caf::atom("reset")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;

// -- validation ---------------------------------------------------------------

/// One header to check: a record's variant header, or one event of a batch.
struct sequence_item {
  std::string thread_id;
  uint64_t sequence = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, sequence_item& x) {
  return f(caf::meta::type_name("sequence_item"), x.thread_id, x.sequence);
}

/// The items of one record that belong to one validator (its threads hash
/// there), in record order.
struct validation_request {
  int32_t partition = 0;
  int64_t offset = 0;
  std::vector<sequence_item> items;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validation_request& x) {
  return f(caf::meta::type_name("validation_request"), x.partition, x.offset,
           x.items);
}

/// A validator's answer: how many items it rejected (quarantined threads
/// under policy halt). Gaps, duplicates and reorders are counted, not
/// rejected: the record is still forwarded.
struct validation_reply {
  int32_t partition = 0;
  int64_t offset = 0;
  uint32_t rejected = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validation_reply& x) {
  return f(caf::meta::type_name("validation_reply"), x.partition, x.offset,
           x.rejected);
}

/// A validator's counters, for tests and the admin API.
struct validator_stats {
  uint64_t checked = 0;
  uint64_t gaps = 0;
  uint64_t missing = 0;
  uint64_t duplicates = 0;
  uint64_t reorders = 0;
  uint64_t quarantined = 0;
  uint64_t tracked_threads = 0;
  uint64_t evictions = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validator_stats& x) {
  return f(caf::meta::type_name("validator_stats"), x.checked, x.gaps,
           x.missing, x.duplicates, x.reorders, x.quarantined,
           x.tracked_threads, x.evictions);
}

} // namespace ds::actors

namespace ds::actors {

// -- supervision --------------------------------------------------------------

using add_atom = caf::atom_constant<caf::atom("add")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;

/// A supervisor's counters, for tests and /health.
struct supervisor_stats {
  uint64_t children = 0;
  uint64_t restarts = 0;
  /// Children currently down and waiting for their backoff to expire.
  uint64_t restarting = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_stats& x) {
  return f(caf::meta::type_name("supervisor_stats"), x.children, x.restarts,
           x.restarting);
}

} // namespace ds::actors
