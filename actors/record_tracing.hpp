#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/vocabulary.hpp"
#include "proto/headers.hpp"
#include "runtime/trace/tracer.hpp"

namespace ds::actors {

/// Where a reader's spans say the record came from, and where its DLQ
/// copy goes.
struct record_tracing_origin {
  std::string topic;
  std::string group_id;
  std::string dlq_topic;
  int32_t partition = 0;
};

/// The spans of one partition's sampled records (docs/tracing.md). A plain
/// class the partition reader owns and calls at each step of a record;
/// every call is a cheap no-op for a record that is not traced, and the
/// reader holds none when tracing is off.
///
/// Per traced record: `process <topic>` (kind consumer, the child of the
/// producer's span from the record's traceparent) from the batch's arrival
/// to completion, with the children `decode`, `validate` (gap, duplicate
/// and reorder as events), `send <dlq topic>` (kind producer, until the DLQ
/// holds it) and `fan-out` (until it leaves through the egress, in order).
class record_tracing {
public:
  record_tracing(std::shared_ptr<const trace::tracer> t,
                 record_tracing_origin origin);

  /// A record arrived in a batch that arrived at `batch_ns`: continues its
  /// traceparent (if any) when the sampler says so. True if traced.
  bool begin(const source_record& rec, uint64_t batch_ns);

  /// Decoding ended: `msg` on success, else the contract's error type.
  void decoded(int64_t offset, const proto::message* msg,
               std::string_view error_type);

  /// The record's validators have all answered (only records that needed
  /// validators; validation started when decoding ended).
  void validated(int64_t offset, const record_verdict& verdict);

  /// It is rejected and handed to the DLQ.
  void dlq_started(int64_t offset, std::string_view error_type,
                   std::string_view stage);
  /// The DLQ holds it durably.
  void dlq_done(int64_t offset);

  /// It passed validation; `published` = it leaves through the egress,
  /// which fanned_out() reports.
  void passed(int64_t offset, bool published);

  /// It is done (passed, filtered or in the DLQ): its consume span ends.
  void completed(int64_t offset);
  /// It left through the egress.
  void fanned_out(int64_t offset);

  /// The trace of a traced, not yet completed record (exemplars).
  const trace::span_context* context_of(int64_t offset) const;

  std::size_t live() const { return live_.size() + fanout_.size(); }

private:
  struct stage {
    trace::span_context ctx; // the stage's own span
    trace::span_id parent{}; // the consume span
    uint64_t start_ns = 0;
  };
  struct record {
    trace::span_data consume;
    uint64_t decoded_ns = 0;
    std::optional<stage> dlq;
    std::string dlq_error_type; // set: rejected
    std::string dlq_stage;
    bool published = false;
  };

  trace::span_data child(const record& r, std::string name,
                         uint64_t start_ns) const;

  std::shared_ptr<const trace::tracer> tracer_;
  record_tracing_origin origin_;
  std::unordered_map<int64_t, record> live_;
  std::unordered_map<int64_t, stage> fanout_;
};

} // namespace ds::actors
