#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ds::dlq_store {

/// The DLQ sink's metrics, resolved once; the labelled series are cached by
/// label (error_type and reason are small fixed sets).
class sink_probe {
public:
  explicit sink_probe(prometheus::Registry& registry);

  /// `count` records became durable in the DLQ (Kafka ack or spool fsync).
  void record_stored(std::string_view error_type, uint64_t count = 1);
  /// A write attempt failed; `reason` is one of delivery_failed,
  /// produce_failed, spool_full, disk_full, fsync_failed, io_error.
  void write_failed(const std::string& reason);

  prometheus::Gauge& spooled_records;
  prometheus::Gauge& spooled_bytes;
  prometheus::Gauge& oldest_age_seconds;
  prometheus::Counter& drained;
  prometheus::Counter& recovered_truncations;
  prometheus::Counter& recovered_truncated_bytes;
  prometheus::Counter& recovered_records;

private:
  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Family<prometheus::Counter>& failures_;
  std::mutex mu_;
  std::map<std::string, prometheus::Counter*, std::less<>> records_by_type_;
  std::map<std::string, prometheus::Counter*> failures_by_reason_;
};

} // namespace ds::dlq_store
