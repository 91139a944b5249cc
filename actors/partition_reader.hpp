#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <google/protobuf/arena.h>

#include "actors/completion_watermark.hpp"
#include "actors/dlq_outbox.hpp"
#include "actors/dlq_writer.hpp"
#include "actors/egress.hpp"
#include "actors/fwd.hpp"
#include "actors/health.hpp"
#include "actors/partition_reader_probe.hpp"
#include "actors/record_tracing.hpp"
#include "actors/supervisor.hpp"
#include "actors/validator.hpp"
#include "actors/validator_router.hpp"
#include "actors/vocabulary.hpp"
#include "proto/codec.hpp"

namespace ds::actors {

/// One per assigned partition. Decodes records, routes every sequenced
/// header to the validator that owns its thread (validator_router), sends
/// rejected records to the DLQ (dlq_outbox), publishes validated records,
/// in offset order, to the pipeline's output (egress), and reports how far
/// the partition is done (the completion watermark) to the consumer, which
/// stores that offset for commit.
/// Handle: partition_reader_actor (actors/fwd.hpp); these are the
/// messages it sends itself.
using partition_reader_impl = partition_reader_actor::extend<
  // Ask the supervisor for a restarted validator's new handle.
  caf::reacts_to<refresh_atom, uint32_t>,
  // Send the coalesced progress report.
  caf::reacts_to<flush_atom>,
  // A drain's timeout expired; answer with what is done.
  caf::reacts_to<drain_atom>,
  // Send the rejected records waiting for the DLQ (again).
  caf::reacts_to<dlq_retry_atom>>;

/// The records a partition's reader was processing when it threw, across
/// its restarts: the next instance quarantines one that reached
/// poison_max_crashes instead of processing it again.
struct reader_crash_ledger {
  struct entry {
    uint32_t crashes = 0;
    std::string what; // the last exception's message
  };
  std::mutex mtx;
  std::map<int64_t, entry> by_offset;
};

struct partition_reader_config {
  int32_t partition = 0;
  proto::decode_options decode;
  /// Records below this offset were written before the session started
  /// (backlog): processed the same way, but not observed as latency.
  int64_t live_from_offset = 0;
  /// Names of the validators at `validators_supervisor`, by index; thread
  /// -> index is a stable hash. Their count is the validator count.
  std::vector<std::string> validator_names;
  /// Known handles, by index; missing ones are looked up at start.
  std::vector<validator_actor> validators;
  supervisor_actor validators_supervisor;
  /// Where progress goes (the consumer).
  consumer_handle progress_to;
  /// How long to wait before asking again for a restarting validator.
  caf::timespan refresh_delay = std::chrono::milliseconds(50);
  /// The DLQ writer's current handle (it may be restarting: then null and
  /// asked again after refresh_delay). Unset: no DLQ, rejected records are
  /// done once counted (unit tests of the routing only).
  std::function<dlq_actor()> dlq;
  /// For the DLQ envelope.
  std::string topic;
  std::string group_id;
  /// How rejected records become DLQ records (built here, in parallel
  /// across readers, not in the one DLQ writer).
  dlq::record_format dlq_format;
  /// A record whose validator, or this reader itself, crashed this many
  /// times goes to the DLQ as poison instead of being redelivered again (0:
  /// never).
  uint32_t poison_max_crashes = 3;
  /// Shared by every instance of this partition's reader (the consumer
  /// keeps one per assignment), so a record that crashes the reader is
  /// still counted after the restart (null: not counted).
  std::shared_ptr<reader_crash_ledger> crash_ledger;
  /// Where validated records go (null: nowhere), and how many subscribers
  /// it has (null: publish regardless).
  egress_actor egress;
  std::shared_ptr<const std::atomic<uint32_t>> egress_listeners;
  /// Where record counts go with each flush, for /health (null: nowhere).
  health_actor health;
  /// Only records whose top header carries this tenant are validated and
  /// published; the others are counted and skipped ("": every tenant).
  std::string tenant_filter;
  /// Spans for sampled records (null: tracing off, no cost).
  std::shared_ptr<const trace::tracer> tracer;
  /// The DLQ topic, for the DLQ span's name.
  std::string dlq_topic;
  /// After a record that does not decode (sent to the DLQ as always), stop
  /// processing this partition until it is reassigned or the daemon
  /// restarts: the records behind it stay uncommitted
  /// (kafka.on_decode_error = pause).
  bool pause_on_decode_error = false;
};

struct partition_reader_state {
  static inline const char* name = "partition_reader";

  /// What a passed record takes to the output (validated_record).
  struct output_fields {
    bool publish = false;  // tracked by the sequencer: leaves through egress
    bool quality = false;  // a quality Metrics message
    std::string tenant_id; // of the top header
    std::string thread_id;
  };

  struct pending_record {
    source_record rec;
    int64_t header_ts_us = 0; // for end-to-end latency at completion
    uint32_t waiting = 0;     // validator replies still missing
    uint32_t rejected = 0;
    record_verdict verdict;
    output_fields out;
  };

  partition_reader_config cfg;
  std::shared_ptr<partition_reader_probe> probe;
  completion_watermark watermark;
  std::unordered_map<int64_t, pending_record> pending;
  std::unique_ptr<validator_router> router;
  /// Per validator: it died since its last refresh, so what is resent to
  /// its successor counts as redelivered.
  std::vector<bool> crashed;
  std::unique_ptr<dlq_outbox> outbox;
  egress_sequencer sequencer;
  /// The output has subscribers: this batch's records are published.
  bool publishing = false;

  partition_stats stats;
  /// Records finished since the last flush, for the health actor.
  record_delta unreported;
  bool flush_scheduled = false;
  int64_t reported_commit = -1;
  uint64_t reported_completed = 0;
  uint64_t reported_dlq_bytes = 0;
  std::vector<caf::typed_response_promise<int64_t>> drains;
  bool dlq_retry_scheduled = false;
  /// Set by a decode error under pause_on_decode_error: records from here
  /// on are left unprocessed.
  std::optional<int64_t> paused_at;
  /// Validator crashes per record (the poison detector).
  std::unordered_map<int64_t, uint32_t> crashes;
  /// The record on_batch is processing (a throw names it), else none.
  std::optional<int64_t> current;
  /// Decode target, on an arena reset once per batch: the Event attribute
  /// map's nodes were a steady malloc/free stream when a plain message was
  /// cleared and refilled for every record.
  std::unique_ptr<google::protobuf::Arena> arena =
    std::make_unique<google::protobuf::Arena>();
  proto::message* scratch = nullptr;
  /// What this reader owes the shared metrics: they move once per flush,
  /// not once per record (they are atomics every reader contends on). It
  /// lives outside the state so leaving settles it (attach_functor).
  struct metric_debt {
    int64_t in_flight = 0; // this reader's part of the in_flight gauge
    uint64_t done = 0;     // completed, not yet taken off in_flight
    uint64_t ok = 0;
    uint64_t backlog = 0;
    void settle(partition_reader_probe& p, bool leaving);
  };
  std::shared_ptr<metric_debt> debt;
  /// Set when cfg.tracer is.
  std::unique_ptr<record_tracing> tracing;
};

/// Runs on the CAF scheduler and never blocks.
partition_reader_impl::behavior_type partition_reader(
  partition_reader_impl::stateful_pointer<partition_reader_state> self,
  partition_reader_config cfg, std::shared_ptr<partition_reader_probe> probe);

} // namespace ds::actors
