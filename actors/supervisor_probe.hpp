#pragma once

#include <array>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

namespace ds::actors {

/// Every child kind and supervisor name the daemon spawns: the label values
/// of the probe's two families. The list must match the spawn sites
/// (child_spec kinds and supervisor_config names in app/daemon.cpp and
/// actors/consumer.cpp); tests/actors/supervisor_probe_test.cpp reads those
/// sources and fails when the two disagree.
inline constexpr std::array<std::string_view, 12> known_actor_kinds{
  "client_sessions",  "cold_reader",
  "consumer",         "dlq_writer",
  "egress",           "fanout",
  "health",           "mirror",
  "partition_reader", "quality_aggregator",
  "supervisor",       "validator",
};
inline constexpr std::array<std::string_view, 3> known_supervisors{
  "root",
  "validators",
  "partition_readers",
};

/// Restart metrics shared by every supervisor. Labels are the child's
/// *kind* (validator, partition_reader, ...), a small fixed set. Every known
/// series starts at 0, so alert rules see it in the first scrape rather than
/// only after the first restart or escalation.
struct supervisor_probe {
  explicit supervisor_probe(prometheus::Registry& registry)
    : restarts(prometheus::BuildCounter()
                 .Name("dashstream_actor_restarts_total")
                 .Help("Actors restarted by their supervisor, by kind")
                 .Register(registry)),
      escalations(prometheus::BuildCounter()
                    .Name("dashstream_supervisor_escalations_total")
                    .Help("Supervisors that gave up after exceeding their "
                          "restart intensity, by supervisor")
                    .Register(registry)) {
    for (auto kind : known_actor_kinds) {
      restarts.Add({{"actor", std::string{kind}}});
    }
    for (auto name : known_supervisors) {
      escalations.Add({{"supervisor", std::string{name}}});
    }
  }

  prometheus::Family<prometheus::Counter>& restarts;
  prometheus::Family<prometheus::Counter>& escalations;
};

} // namespace ds::actors
