#include "actors/partition_reader_probe.hpp"

namespace ds::actors {

namespace {

prometheus::Family<prometheus::Counter>&
records_family(prometheus::Registry& reg) {
  return prometheus::BuildCounter()
    .Name("dashstream_records_total")
    .Help("Records finished by the pipeline, by outcome")
    .Register(reg);
}

prometheus::Family<prometheus::Counter>&
decode_family(prometheus::Registry& reg) {
  return prometheus::BuildCounter()
    .Name("dashstream_decode_errors_total")
    .Help("Records that failed to decode, by typed reason")
    .Register(reg);
}

prometheus::Counter& counter(prometheus::Registry& reg, const char* name,
                             const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

prometheus::Histogram::BucketBoundaries e2e_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1,      2.5,   5,    10,    30,   60};
}

} // namespace

partition_reader_probe::partition_reader_probe(prometheus::Registry& reg)
  : ok(records_family(reg).Add({{"outcome", "ok"}})),
    decode_error(records_family(reg).Add({{"outcome", "decode_error"}})),
    rejected(records_family(reg).Add({{"outcome", "rejected"}})),
    e2e_latency(prometheus::BuildHistogram()
                  .Name("dashstream_e2e_latency_seconds")
                  .Help("Time from the producer's header timestamp to the "
                        "end of processing, live records only")
                  .Register(reg)
                  .Add({}, e2e_buckets())),
    e2e_exemplars(std::make_shared<metrics::histogram_exemplars>(
      "dashstream_e2e_latency_seconds", e2e_buckets())),
    clock_skew(counter(reg, "dashstream_e2e_clock_skew_total",
                       "Live records whose header timestamp was in the "
                       "future or more than 60 s old")),
    backlog(counter(reg, "dashstream_records_backlog_total",
                    "Records older than the session-start high watermark")),
    redelivered(counter(reg, "dashstream_records_redelivered_total",
                        "Validation requests resent after a restart")),
    in_flight(prometheus::BuildGauge()
                .Name("dashstream_records_in_flight")
                .Help("Records dispatched and not yet fully processed")
                .Register(reg)
                .Add({})),
    filtered(counter(reg, "dashstream_records_filtered_total",
                     "Records skipped because their tenant is not "
                     "kafka.tenant_id")),
    decode_error_pauses(
      counter(reg, "dashstream_decode_error_pauses_total",
              "Partitions stopped at a record that did not decode "
              "(kafka.on_decode_error = pause)")) {
  auto& fam = decode_family(reg);
  for (std::size_t i = 1; i < decode_errors.size(); ++i) {
    decode_errors[i] = &fam.Add(
      {{"reason", std::string{proto::to_string(static_cast<proto::errc>(i))}}});
  }
  decode_errors[0] = decode_errors[1]; // errc::none never happens
}

} // namespace ds::actors
