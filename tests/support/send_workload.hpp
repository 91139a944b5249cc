#pragma once

// Sends a synthetic workload to a topic with the producer's defaults, for
// tests that need records on a broker and only their count back.

#include <cstdint>
#include <string>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>

#include "tools/workload/sender.hpp"

namespace ds::test {

/// The records of `w` sent to `topic` on `brokers`, all delivered; fails
/// the test otherwise. Returns how many were sent.
inline uint64_t send_workload(const workload::workload_config& w,
                              const std::string& brokers,
                              const std::string& topic) {
  prometheus::Registry reg;
  producer::producer_config pcfg;
  pcfg.kafka.client.brokers = brokers;
  pcfg.topic = topic;
  auto snd = workload::sender::make(w, pcfg, reg);
  REQUIRE(snd);
  auto res = (*snd)->run(0);
  REQUIRE(res.ok());
  return res.sent;
}

} // namespace ds::test
