#include "actors/consumer_probe.hpp"

#include <string>

namespace ds::actors {

namespace {

prometheus::Counter& counter(prometheus::Registry& reg, const char* name,
                             const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

} // namespace

consumer_probe::consumer_probe(prometheus::Registry& reg)
  : lag_messages(prometheus::BuildGauge()
                   .Name("dashstream_consumer_lag_messages")
                   .Help("High watermark minus the next offset to process, "
                         "per assigned partition")
                   .Register(reg)),
    lag_seconds(prometheus::BuildGauge()
                  .Name("dashstream_consumer_lag_seconds")
                  .Help("Age of the oldest unprocessed record, per assigned "
                        "partition (0 when caught up)")
                  .Register(reg)),
    assigned(prometheus::BuildGauge()
               .Name("dashstream_partitions_assigned")
               .Help("Partitions currently assigned to this member")
               .Register(reg)
               .Add({})),
    in_flight_bytes(prometheus::BuildGauge()
                      .Name("dashstream_records_in_flight_bytes")
                      .Help("Bytes of records held from poll until their "
                            "offset is committed, all partitions (bounded "
                            "by pipeline.memory_budget_bytes)")
                      .Register(reg)
                      .Add({})),
    pauses(counter(reg, "dashstream_partition_pauses_total",
                   "Partitions paused because their in-flight budget "
                   "(records or bytes) was spent")),
    window_wait_seconds(
      counter(reg, "dashstream_dispatch_window_wait_seconds_total",
              "Time the consumer waited for the pipeline instead of "
              "polling: it held pipeline.dispatch_window_bytes")),
    resumes(counter(reg, "dashstream_partition_resumes_total",
                    "Paused partitions resumed below the low-water mark")),
    infra_errors(counter(reg, "dashstream_infrastructure_errors_total",
                         "Kafka infrastructure errors (broker unreachable, "
                         "transport, metadata)")),
    rebalances(counter(reg, "dashstream_rebalances_total",
                       "Partition assignment changes seen by this member")) {}

consumer_probe::partition_series& consumer_probe::add_partition(int32_t p) {
  auto label = std::to_string(p);
  auto& s = partitions[p];
  s.lag_messages = &lag_messages.Add({{"partition", label}});
  s.lag_seconds = &lag_seconds.Add({{"partition", label}});
  return s;
}

void consumer_probe::remove_partition(int32_t p) {
  auto it = partitions.find(p);
  if (it == partitions.end()) {
    return;
  }
  lag_messages.Remove(it->second.lag_messages);
  lag_seconds.Remove(it->second.lag_seconds);
  partitions.erase(it);
}

} // namespace ds::actors
