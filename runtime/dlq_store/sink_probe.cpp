#include "runtime/dlq_store/sink_probe.hpp"

#include "dlq/record.hpp"
#include "proto/errc.hpp"

namespace ds::dlq_store {

namespace {

prometheus::Counter& counter(prometheus::Registry& reg, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

prometheus::Gauge& gauge(prometheus::Registry& reg, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add({});
}

} // namespace

sink_probe::sink_probe(prometheus::Registry& reg)
  : spooled_records(gauge(reg, "dashstream_dlq_spooled_records",
                          "DLQ records waiting in the local spool")),
    spooled_bytes(gauge(reg, "dashstream_dlq_spooled_bytes",
                        "Bytes of the DLQ spool's segment files")),
    oldest_age_seconds(gauge(reg, "dashstream_dlq_spool_oldest_age_seconds",
                             "Age of the oldest spooled DLQ record")),
    drained(counter(reg, "dashstream_dlq_drained_records_total",
                    "Spooled DLQ records acknowledged by Kafka")),
    recovered_truncations(
      counter(reg, "dashstream_dlq_spool_recovered_truncations_total",
              "Spool segments cut back to their last good record at open")),
    recovered_truncated_bytes(
      counter(reg, "dashstream_dlq_spool_truncated_bytes_total",
              "Bytes of torn or corrupt spool tails removed at open")),
    recovered_records(
      counter(reg, "dashstream_dlq_spool_recovered_records_total",
              "Spooled DLQ records found at open (drained afterwards)")),
    records_(prometheus::BuildCounter()
               .Name("dashstream_dlq_records_total")
               .Help("Records made durable in the DLQ, by error_type")
               .Register(reg)),
    failures_(prometheus::BuildCounter()
                .Name("dashstream_dlq_write_failures_total")
                .Help("Failed DLQ write attempts, by reason")
                .Register(reg)) {
  // The failure reasons are a fixed set: export them at 0 from the start,
  // so rate() and alerts see the first failure as an increase.
  for (const char* reason : {"produce_failed", "delivery_failed", "spool_full",
                             "disk_full", "fsync_failed", "io_error"}) {
    failures_by_reason_[reason] = &failures_.Add({{"reason", reason}});
  }
  // So are the error types: every decode error's contract type and the
  // pipeline's own two.
  const auto& reasons = diag::errc_traits<proto::errc>::labels;
  for (std::size_t i = 1; i < reasons.size(); ++i) {
    std::string type{proto::contract_error_type(static_cast<proto::errc>(i))};
    if (!records_by_type_.contains(type)) {
      records_by_type_.emplace(type, &records_.Add({{"error_type", type}}));
    }
  }
  for (auto type : {dlq::halted_thread_error, dlq::poison_error}) {
    std::string label{type};
    records_by_type_.emplace(label, &records_.Add({{"error_type", label}}));
  }
}

void sink_probe::record_stored(std::string_view error_type, uint64_t count) {
  std::lock_guard guard{mu_};
  auto it = records_by_type_.find(error_type);
  if (it == records_by_type_.end()) {
    std::string label{error_type};
    it = records_by_type_.emplace(label, &records_.Add({{"error_type", label}}))
           .first;
  }
  it->second->Increment(static_cast<double>(count));
}

void sink_probe::write_failed(const std::string& reason) {
  std::lock_guard guard{mu_};
  auto& c = failures_by_reason_[reason];
  if (c == nullptr) {
    c = &failures_.Add({{"reason", reason}});
  }
  c->Increment();
}

} // namespace ds::dlq_store
