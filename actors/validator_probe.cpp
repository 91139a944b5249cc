#include "actors/validator_probe.hpp"

namespace ds::actors {

namespace {

prometheus::Counter& counter(prometheus::Registry& reg, const char* name,
                             const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

} // namespace

validator_probe::validator_probe(prometheus::Registry& reg)
  : gaps(counter(reg, "dashstream_sequence_gaps_total",
                 "Sequence gaps detected (a thread jumped ahead)")),
    duplicates(counter(reg, "dashstream_sequence_duplicates_total",
                       "Messages whose sequence repeated the previous one")),
    reorders(counter(reg, "dashstream_sequence_reorders_total",
                     "Messages older than the previous sequence")),
    gap_size(
      prometheus::BuildHistogram()
        .Name("dashstream_sequence_gap_size")
        .Help("Missing sequences per detected gap")
        .Register(reg)
        .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 50, 100,
                                                         1000, 10000})),
    quarantined(counter(reg, "dashstream_sequence_quarantined_total",
                        "Messages rejected because their thread is halted")),
    evictions(counter(reg, "dashstream_sequence_thread_evictions_total",
                      "Threads forgotten because the table was full (LRU)")),
    tracked_threads(prometheus::BuildGauge()
                      .Name("dashstream_sequence_tracked_threads")
                      .Help("Threads whose next sequence is tracked")
                      .Register(reg)
                      .Add({})) {}

} // namespace ds::actors
