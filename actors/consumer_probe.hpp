#pragma once

#include <cstdint>
#include <map>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ds::actors {

/// Consumer-level metrics. Lag gauges exist only for *assigned* partitions:
/// added on assignment, removed on revocation (contract §8.15).
struct consumer_probe {
  explicit consumer_probe(prometheus::Registry& registry);

  prometheus::Family<prometheus::Gauge>& lag_messages;
  prometheus::Family<prometheus::Gauge>& lag_seconds;
  prometheus::Gauge& assigned;
  /// Bytes of records held between poll and commit (the memory budget).
  prometheus::Gauge& in_flight_bytes;
  prometheus::Counter& pauses;
  prometheus::Counter& window_wait_seconds;
  prometheus::Counter& resumes;
  prometheus::Counter& infra_errors;
  prometheus::Counter& rebalances;

  struct partition_series {
    prometheus::Gauge* lag_messages;
    prometheus::Gauge* lag_seconds;
  };
  std::map<int32_t, partition_series> partitions;

  partition_series& add_partition(int32_t partition);
  void remove_partition(int32_t partition);
};

} // namespace ds::actors
