#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/fwd.hpp"
#include "actors/vocabulary.hpp"
#include "dlq/envelope.hpp"
#include "dlq/store_port.hpp"

namespace ds::actors {

/// DLQ records on their way to the DLQ, all from one reader's batch, built
/// by the reader (record_format::make) so that envelopes are written in
/// parallel, not in this one actor. Local-only: the records are shared,
/// never copied between actors. One request per batch, not per record: CAF
/// 0.17 keeps an actor's pending responses in a flat map searched linearly,
/// so thousands of per-record requests made the all-bad path quadratic
/// (docs/bench/history.md, session 3).
struct dlq_batch {
  std::vector<std::shared_ptr<const dlq::dlq_record>> records;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_batch&) {
  return f(caf::meta::type_name("dlq_batch"));
}

/// The DLQ writer: readers (decode failures, halted threads, poison
/// records) hand it rejected records, and it answers `true` only once every
/// record of the batch is durable — acknowledged by Kafka or fsynced in the
/// spool. Until then the reader keeps the record unfinished, so its offset can
/// never be committed past an un-durable DLQ record (contract §8.1).
/// Handle: dlq_actor (actors/fwd.hpp); these come from the sink's threads
/// and its own timer.
using dlq_impl = dlq_actor::extend<
  // The submission with this id failed.
  caf::reacts_to<dlq_done_atom, uint64_t, caf::error>,
  // Every record of the batch whose first id this is, is durable (one
  // message per batch, not per record).
  caf::reacts_to<dlq_done_atom, uint64_t>,
  // Resubmit what the sink refused (spool full, disk full).
  caf::reacts_to<dlq_retry_atom>>;

/// Where rejected records go; the daemon passes the real sink, tests a
/// fake. `done` may run on any thread.
struct dlq_port {
  std::function<void(std::span<dlq::submission>)> submit;
  /// accepting = false: the sink refuses records (and says why).
  std::function<dlq::sink_status()> status;
};

/// Told whenever the sink starts or stops refusing records: "" = accepting,
/// else why not (for /health). Runs inside the actor: only store it.
using dlq_publisher = std::function<void(const std::string& refusal)>;

struct dlq_writer_state {
  static inline const char* name = "dlq_writer";
  /// One request: its records have the ids first .. first + size - 1 (the
  /// key of `requests`, then one per record), and it is answered once the
  /// last of them is durable. The sink's threads count it down through
  /// `listener`; only the last success and each failure come back here.
  struct request {
    caf::typed_response_promise<bool> promise;
    std::vector<std::shared_ptr<const dlq::dlq_record>> records;
    std::shared_ptr<dlq::listener> listener;
  };
  dlq_port port;
  dlq_publisher publish;
  caf::timespan retry_interval{};
  uint64_t next_id = 0;
  /// By first id.
  std::map<uint64_t, request> requests;
  /// Refused by the sink, oldest first: retried every retry_interval.
  std::deque<uint64_t> refused;
  bool retry_scheduled = false;
  std::string refusal;
};

/// A restart loses only the promises: the readers see their requests fail
/// and send the records again (a record may then reach the DLQ twice, which
/// `dashstream dlq inspect` counts as a duplicate; it is never lost).
dlq_impl::behavior_type
dlq_writer(dlq_impl::stateful_pointer<dlq_writer_state> self, dlq_port port,
           dlq_publisher publish, caf::timespan retry_interval);

} // namespace ds::actors
