#pragma once

#include <cstdint>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ds::actors {

/// The circuit breaker's metrics, resolved once. One breaker per process
/// (the consumer's), hence no labels on the gauge.
struct circuit_breaker_probe {
  explicit circuit_breaker_probe(prometheus::Registry& reg)
    : state(prometheus::BuildGauge()
              .Name("dashstream_circuit_breaker_state")
              .Help("Kafka circuit breaker: 0 closed, 1 half_open, 2 open")
              .Register(reg)
              .Add({})),
      transitions_family(prometheus::BuildCounter()
                           .Name("dashstream_circuit_breaker_transitions_total")
                           .Help("Circuit breaker state changes, by new state")
                           .Register(reg)),
      to_closed(transitions_family.Add({{"to", "closed"}})),
      to_half_open(transitions_family.Add({{"to", "half_open"}})),
      to_open(transitions_family.Add({{"to", "open"}})) {}

  prometheus::Gauge& state;
  prometheus::Family<prometheus::Counter>& transitions_family;
  prometheus::Counter& to_closed;
  prometheus::Counter& to_half_open;
  prometheus::Counter& to_open;
};

} // namespace ds::actors
