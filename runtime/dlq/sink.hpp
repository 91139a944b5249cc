#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "config/daemon_config.hpp"
#include "runtime/kafka/client_config.hpp"

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ds::dlq {

/// One record a reader, validator or the poison detector rejected, with
/// everything the envelope (contract §4) needs. The caller decodes thread and
/// tenant ids from whichever message variant carried them.
struct rejected_record {
  std::string source_topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string consumer_group;
  /// The original Kafka key; it becomes the DLQ record's key.
  std::string key;
  /// The original Kafka headers, copied after the Kafka Connect set.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The original value bytes.
  std::string payload;
  /// The Kafka value was null (not merely empty).
  bool payload_missing = false;
  /// Contract error_type: decode_error, decompression_error, schema_error,
  /// invalid_format, payload_too_large, sequence_gap, ..., halted_thread,
  /// poison. A small fixed set: it is a metric label.
  std::string error_type;
  /// Human-readable reason.
  std::string error;
  /// "decode" | "validate" | "poison" (the Connect `stage` header).
  std::string stage;
  /// E.g. "ds::proto::errc::truncated".
  std::string exception_class;
  std::optional<std::string> thread_id;
  std::optional<std::string> tenant_id;
  std::optional<std::string> traceparent;
  std::optional<uint64_t> expected_sequence;
  std::optional<uint64_t> received_sequence;
  int64_t kafka_timestamp_ms = 0;
};

/// The same fields as views into memory the caller keeps alive while it
/// builds the DLQ record (a reader's polled batch, its config): the reader
/// builds one per rejected record without first copying the original key,
/// payload and names into a rejected_record.
struct rejected_view {
  std::string_view source_topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view consumer_group;
  std::string_view key;
  std::span<const std::pair<std::string, std::string>> headers;
  std::string_view payload;
  bool payload_missing = false;
  std::string_view error_type;
  std::string_view error;
  std::string_view stage;
  std::string_view exception_class;
  std::optional<std::string_view> thread_id;
  std::optional<std::string_view> tenant_id;
  std::optional<std::string_view> traceparent;
  std::optional<uint64_t> expected_sequence;
  std::optional<uint64_t> received_sequence;
  int64_t kafka_timestamp_ms = 0;
};

/// `r` as views into it.
rejected_view view_of(const rejected_record& r);

class dlq_record;

struct sink_status {
  uint64_t spooled_records = 0;
  /// Bytes the spool's segment files occupy (what the budget limits).
  uint64_t spooled_bytes = 0;
  double oldest_age_seconds = 0;
  /// False while a submit would fail: the caller should pause ingestion.
  bool accepting = true;
  /// "" | "spool budget reached" | "disk full" | "fsync failed".
  std::string reason;
};

/// The DLQ writer: Kafka first, a local io_uring spool when Kafka is slow or
/// down, and a drainer that moves spooled records to Kafka when it recovers.
///
/// Lifecycle: open() recovers the spool (drained in the background), stop()
/// or the destructor ends it. Threading: submit() and status() may be called
/// from any thread; two internal threads (Kafka sender/drainer, spool writer)
/// run every callback.
class sink {
public:
  /// Builds the producer for config::effective_dlq_topic(cfg) and opens the
  /// spool in cfg.dlq.spool_dir. Fails when the spool directory cannot be
  /// used or the producer cannot be created; a corrupt spool tail is not a
  /// failure (it is truncated, counted and logged).
  static caf::expected<std::unique_ptr<sink>>
  open(const config::daemon_config& cfg, const kafka::client_config& kafka,
       prometheus::Registry& reg);

  using done_fn = std::function<void(caf::error)>;

  /// Thread-safe and never blocks on Kafka. `done` runs exactly once, on an
  /// internal thread, when the record is durable: acknowledged by Kafka, or
  /// fsynced in the spool. It gets an error only when neither is possible
  /// (spool full, disk full, fsync failed, stopped): the caller keeps the
  /// record and retries later.
  void submit(const rejected_record& r, done_fn done);
  /// Told when submitted records are durable, like `done`. One listener
  /// serves a whole batch: a std::function per record cost an allocation
  /// and two atomic reference counts per rejected record on the all-bad
  /// path (docs/bench/history.md, session 12).
  class listener {
  public:
    virtual ~listener() = default;
    /// Runs exactly once per submission, on an internal thread, with the
    /// submission's `index` and what `done` would get.
    virtual void done(std::size_t index, caf::error err) = 0;
  };
  /// The same for many records already built (record_format::make): one
  /// hand-over to the sender thread instead of one per record. The sink
  /// shares the records until they are durable; nothing is copied.
  struct submission {
    std::shared_ptr<const dlq_record> record;
    std::shared_ptr<listener> to;
    std::size_t index = 0;
  };
  void submit(std::span<submission> batch);

  sink_status status() const;

  /// Bounded: flushes what Kafka accepts within dlq.send_timeout_secs; the
  /// rest is spooled (and drained after the next open). Idempotent.
  void stop();

  ~sink();
  sink(const sink&) = delete;
  sink& operator=(const sink&) = delete;

  struct impl;

private:
  explicit sink(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace ds::dlq
