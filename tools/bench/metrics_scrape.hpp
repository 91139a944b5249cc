#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

namespace ds::bench {

/// A blocking HTTP GET of http://127.0.0.1:<port><path>; the body on a 2xx
/// answer.
caf::expected<std::string> http_get(uint16_t port, const std::string& path);

/// A cumulative Prometheus histogram: (upper bound, cumulative count)
/// pairs in order, the last bound +Inf.
struct histogram {
  std::vector<std::pair<double, double>> buckets;
  double count = 0;
  double sum = 0;

  /// `this - earlier`, bucket by bucket (the same bounds).
  histogram minus(const histogram& earlier) const;
};

/// A quantile read from a histogram: linear interpolation inside the
/// bucket that holds the rank, so the true value lies in [lower, upper].
struct quantile_estimate {
  double value = 0;
  double lower = 0;
  double upper = 0;
  bool valid = false;
};

quantile_estimate quantile(const histogram& h, double q);

/// The bucket the largest observation fell into: (lower, upper].
quantile_estimate max_bucket(const histogram& h);

/// The daemon's /metrics, reduced to what the bench reads.
struct daemon_metrics {
  double records_ok = 0;
  double records_decode_error = 0;
  double records_rejected = 0;
  double records_other = 0;
  double dlq_records = 0;
  bool has_dlq = false;
  /// DLQ records in the local spool now, and moved from it to Kafka so far:
  /// together, those that took the spool path (Kafka too slow or down).
  double dlq_spooled_now = 0;
  double dlq_drained = 0;
  double dlq_write_failures = 0;
  double lag_messages = 0;
  double gaps = 0;
  double duplicates = 0;
  double reorders = 0;
  double decode_errors = 0;
  double restarts = 0;
  /// Partitions paused by the in-flight budget (backpressure), so far.
  double partition_pauses = 0;
  double process_cpu_seconds = 0;
  double resident_bytes = 0;
  histogram e2e_latency;

  double processed() const noexcept {
    return records_ok + records_decode_error + records_rejected + records_other;
  }
};

/// Parses Prometheus text exposition.
daemon_metrics parse_metrics(std::string_view text);

} // namespace ds::bench
