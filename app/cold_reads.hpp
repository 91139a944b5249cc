#pragma once

#include <chrono>
#include <string>

#include "clients/cold_reader.hpp"
#include "proto/codec.hpp"
#include "runtime/kafka/client_config.hpp"

namespace ds::app {

/// What a cold read needs to find and filter records as the pipeline did.
struct cold_read_settings {
  kafka::client_config client;
  std::string topic;
  proto::decode_options decode;
  /// kafka.tenant_id: other tenants' records were never forwarded.
  std::string tenant_filter;
  std::chrono::milliseconds timeout{30'000};
};

/// Reads a resume's range from Kafka (librdkafka, no group, no commits):
/// records that do not decode are skipped (they went to the DLQ, never to
/// clients), like records of tenants the subscription does not see.
clients::cold_read_fn kafka_cold_reads(cold_read_settings s);

} // namespace ds::app
