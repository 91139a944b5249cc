#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace ds::actors {

/// Sequence-validation metrics (contract §3, §6), shared by all validator
/// actors (prometheus-cpp series are thread-safe), resolved once.
struct validator_probe {
  explicit validator_probe(prometheus::Registry& registry);

  prometheus::Counter& gaps;
  prometheus::Counter& duplicates;
  prometheus::Counter& reorders;
  prometheus::Histogram& gap_size;
  prometheus::Counter& quarantined;
  prometheus::Counter& evictions;
  prometheus::Gauge& tracked_threads;
};

} // namespace ds::actors
