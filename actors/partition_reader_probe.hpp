#pragma once

#include <array>
#include <memory>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "proto/errc.hpp"
#include "runtime/metrics/exemplars.hpp"

namespace ds::actors {

/// Record-path metrics shared by every partition reader; every labelled
/// series is resolved here, once, never per record.
struct partition_reader_probe {
  explicit partition_reader_probe(prometheus::Registry& registry);

  /// dashstream_records_total{outcome}
  prometheus::Counter& ok;
  prometheus::Counter& decode_error;
  prometheus::Counter& rejected;
  /// dashstream_decode_errors_total{reason}, indexed by proto::errc.
  std::array<prometheus::Counter*, 11> decode_errors{};
  /// now - header.timestamp_us for live records within [0, 60 s].
  prometheus::Histogram& e2e_latency;
  /// The trace of a traced record per e2e_latency bucket (OpenMetrics
  /// exemplars); the composition root adds it to the registry's board.
  std::shared_ptr<metrics::histogram_exemplars> e2e_exemplars;
  /// Live records whose latency fell outside [0, 60 s]: clock skew, not
  /// latency, so they are counted instead of observed.
  prometheus::Counter& clock_skew;
  /// Records older than the session-start high watermark (backlog).
  prometheus::Counter& backlog;
  /// Validation requests sent again after a validator restart.
  prometheus::Counter& redelivered;
  prometheus::Gauge& in_flight;
  /// Records skipped because their tenant is not kafka.tenant_id.
  prometheus::Counter& filtered;
  /// Partitions stopped by a record that did not decode
  /// (kafka.on_decode_error = pause).
  prometheus::Counter& decode_error_pauses;

  prometheus::Counter& decode_errors_for(proto::errc x) {
    auto i = static_cast<std::size_t>(x);
    return *decode_errors[i < decode_errors.size() ? i : 0];
  }
};

} // namespace ds::actors
