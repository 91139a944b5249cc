#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <prometheus/registry.h>

#include "actors/egress.hpp"
#include "actors/fwd.hpp"
#include "actors/quality_probe.hpp"
#include "proto/codec.hpp"

namespace ds::actors {

/// What one quality Metrics message says (contract §6): quality_score and
/// passed are required, the rest is observed when present.
struct quality_sample {
  double score = 0;
  bool passed = false;
  std::optional<double> latency_seconds;
  std::optional<int64_t> retries;
  std::optional<int64_t> turn;
  std::optional<double> accuracy;
  std::optional<double> relevance;
  std::optional<double> completeness;
  std::string model;    // tag "model" ("" when absent)
  std::string category; // tag "category"
};

/// The sample of a decoded Metrics message, or why it does not count.
/// Numbers may be int_value or float_value; `passed` a bool or an int 0/1.
/// A message with any bad field counts as invalid as a whole, so the sums
/// of the family always describe the same queries.
std::variant<quality_sample, quality_invalid>
read_quality(const proto::message& msg);

/// The aggregation, a plain class: decodes the records flagged `quality`
/// and moves the probe. Owned by the daemon for the process (shared by
/// every incarnation of the aggregator actor), so its label slots and the
/// per-partition offsets it has counted survive a restart. Thread-safe (a
/// restarted actor may overlap the one it replaces); one lock per batch.
class quality_tally {
public:
  quality_tally(prometheus::Registry& reg, quality_limits limits,
                proto::decode_options decode);

  /// Counts the batch's quality records. A record at or below the newest
  /// offset already counted for its partition is a redelivery (the
  /// pipeline is at-least-once) and is skipped: each offset counts once.
  void add(const validated_batch& batch);

  quality_probe& probe() noexcept { return probe_; }

private:
  void count(const validated_record& rec);

  std::mutex mtx_;
  quality_probe probe_;
  proto::decode_options decode_;
  std::map<int32_t, int64_t> counted_; // partition -> newest offset counted
  proto::message scratch_;
};

struct quality_aggregator_state {
  static inline const char* name = "quality_aggregator";
  std::shared_ptr<quality_tally> tally;
};

/// Subscribes to `source` (the egress) when given one and hands every
/// batch to the tally. Runs on the CAF scheduler and never blocks; the
/// work per batch is one decode per quality record.
quality_actor::behavior_type quality_aggregator(
  quality_actor::stateful_pointer<quality_aggregator_state> self,
  std::shared_ptr<quality_tally> tally, const egress_actor& source);

} // namespace ds::actors
