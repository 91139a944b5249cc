#include "tools/producer/producer_probe.hpp"

namespace ds::producer {

namespace {

prometheus::Counter& counter(prometheus::Registry& reg, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

} // namespace

producer_probe::producer_probe(prometheus::Registry& reg)
  : sent(counter(reg, "dashstream_messages_sent_total",
                 "Records acknowledged by Kafka")),
    send_failures(counter(reg, "dashstream_send_failures_total",
                          "Records rejected locally or not delivered")),
    send_retries(counter(reg, "dashstream_send_retries_total",
                         "Produce requests librdkafka retried")),
    bytes_sent(counter(reg, "dashstream_producer_sent_bytes_total",
                       "Framed value bytes acknowledged by Kafka")),
    compressed(counter(reg, "dashstream_producer_compressed_total",
                       "Records sent with zstd framing")),
    rate_allowed(prometheus::BuildCounter()
                   .Name("dashstream_rate_limit_allowed_total")
                   .Help("Sends admitted by the per-tenant rate limit")
                   .Register(reg)),
    rate_exceeded(prometheus::BuildCounter()
                    .Name("dashstream_rate_limit_exceeded_total")
                    .Help("Sends refused by the per-tenant rate limit")
                    .Register(reg)) {}

} // namespace ds::producer
