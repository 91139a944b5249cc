#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

namespace ds::producer {

/// The producer's metrics (contract §6, library/producer), resolved once.
struct producer_probe {
  explicit producer_probe(prometheus::Registry& registry);

  prometheus::Counter& sent;          // acknowledged by Kafka
  prometheus::Counter& send_failures; // rejected locally or not delivered
  prometheus::Counter& send_retries;  // librdkafka protocol retries
  prometheus::Counter& bytes_sent;    // framed value bytes acknowledged
  prometheus::Counter& compressed;    // records sent zstd-framed
  prometheus::Family<prometheus::Counter>& rate_allowed;
  prometheus::Family<prometheus::Counter>& rate_exceeded;
};

} // namespace ds::producer
