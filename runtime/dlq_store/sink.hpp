#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "config/daemon_config.hpp"
#include "dlq/envelope.hpp"
#include "dlq/record.hpp"
#include "dlq/store_port.hpp"
#include "runtime/kafka/client_config.hpp"

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ds::dlq_store {

using dlq::rejected_record;
using dlq::sink_status;

/// The format config `cfg` asks for (DLQ topic, payload settings).
dlq::record_format record_format_of(const config::daemon_config& cfg);

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
  /// The same for many records already built (record_format::make): one
  /// hand-over to the sender thread instead of one per record. The sink
  /// shares the records until they are durable; nothing is copied. Each
  /// listener is told as `done` would be.
  void submit(std::span<dlq::submission> batch);

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

} // namespace ds::dlq_store
