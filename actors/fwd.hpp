#pragma once

// The actors' public handles: what each actor promises the others. An
// actor's own type extends its handle with the messages it sends itself
// (timers, retries), which nobody else may send; those live beside it as
// `<name>_impl`.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/vocabulary.hpp"

namespace ds::actors {

struct child_spec;
struct dlq_batch;
struct validated_batch_ref;

/// A per-thread sequence validator (actors/validator.hpp).
using validator_actor = caf::typed_actor<
  // Partition readers: every record of one polled batch routed here. The
  // reply lists only the records with rejected items or a verdict other
  // than ok (usually none); the others passed in order.
  caf::replies_to<validate_atom,
                  validation_batch_ref>::with<std::vector<validation_reply>>,
  // Operators: lift a halt for one thread; true if the thread was known.
  caf::replies_to<reset_atom, std::string>::with<bool>,
  // Tests and the admin API.
  caf::replies_to<stats_atom>::with<validator_stats>>;

/// One per assigned partition (actors/partition_reader.hpp).
using partition_reader_actor = caf::typed_actor<
  // Consumer: records of this partition, in offset order.
  caf::reacts_to<record_batch>,
  // Consumer (revocation, shutdown): reply once nothing is in flight, or
  // when the timeout passes, with the offset to commit (-1: none).
  caf::replies_to<drain_atom, caf::timespan>::with<int64_t>,
  caf::replies_to<stats_atom>::with<partition_stats>>;

/// Starts, watches and restarts children (actors/supervisor.hpp).
using supervisor_actor = caf::typed_actor<
  // Starts a child now and supervises it; replies with its first handle.
  caf::replies_to<add_atom, child_spec>::with<caf::actor>,
  // Stops a child for good (no restart); false if unknown.
  caf::replies_to<remove_atom, std::string>::with<bool>,
  // The current handle of a child (invalid while it waits for a restart).
  caf::replies_to<get_atom, std::string>::with<caf::actor>,
  caf::replies_to<stats_atom>::with<supervisor_stats>>;

/// The DLQ writer (actors/dlq_writer.hpp): replies once every record of
/// the batch is durable (Kafka or the spool).
using dlq_actor =
  caf::typed_actor<caf::replies_to<dlq_atom, dlq_batch>::with<bool>>;

/// The circuit breaker and the health model (actors/health.hpp).
using health_actor = caf::typed_actor<
  // Consumer: its polls' infrastructure errors, reachability, assignment.
  caf::reacts_to<poll_outcome>,
  // Partition readers, with each flush: records finished since the last.
  caf::reacts_to<record_delta>,
  // DLQ writer: why the DLQ refuses records ("" = it takes them again).
  caf::reacts_to<dlq_refusal_atom, std::string>,
  // Tests: the breaker state now, as the numeric value of breaker_state.
  caf::replies_to<get_atom>::with<uint8_t>>;

/// What a subscriber to the pipeline's output implements (actors/egress.hpp).
using egress_subscriber_actor =
  caf::typed_actor<caf::reacts_to<validated_batch_ref>>;

/// The quality aggregator (actors/quality_aggregator.hpp): an egress
/// subscriber that turns quality Metrics messages into metrics.
using quality_actor = egress_subscriber_actor;

/// The pipeline's output (actors/egress.hpp): partition readers publish
/// their validated records, every subscriber gets each batch.
using egress_actor = caf::typed_actor<
  caf::reacts_to<validated_batch_ref>,
  // Adds a subscriber (monitored: it leaves when it terminates); false if
  // it was already subscribed.
  caf::replies_to<subscribe_atom, egress_subscriber_actor>::with<bool>,
  caf::reacts_to<unsubscribe_atom, egress_subscriber_actor>>;

/// The consumer-group member (actors/consumer.hpp) is a blocking actor on
/// its own thread, and CAF 0.17 has no typed blocking actors: its handle is
/// untyped. It understands
///   (progress_atom, partition_progress)  from partition readers
///   (reader_up_atom, int32_t, partition_reader_actor) from their supervisor
///   (stats_atom) -> consumer_stats
///   (stop_atom): leave the group (drain, commit) and exit
using consumer_handle = caf::actor;

} // namespace ds::actors
