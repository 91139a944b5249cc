#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

namespace ds::actors {

/// Restart metrics shared by every supervisor. Labels are the child's
/// *kind* (validator, partition_reader, ...), a small fixed set.
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
                    .Register(registry)) {}

  prometheus::Family<prometheus::Counter>& restarts;
  prometheus::Family<prometheus::Counter>& escalations;
};

} // namespace ds::actors
