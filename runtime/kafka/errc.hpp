#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::kafka {

/// Failures of the librdkafka adapter; librdkafka's own error code and text
/// travel in the detail string.
enum class errc : uint8_t {
  none = 0,
  /// A configuration property was rejected by librdkafka.
  invalid_config,
  /// rd_kafka_new or a similar constructor failed.
  client_create_failed,
  /// The local producer queue stayed full for the whole wait.
  queue_full,
  /// A produce call was rejected (unknown topic, message too large, ...).
  produce_failed,
  /// A delivery report carried an error.
  delivery_failed,
  /// An operation did not finish within its timeout.
  timed_out,
  /// Metadata or watermark queries failed.
  metadata_failed,
  /// Creating a topic failed (other than "already exists").
  topic_create_failed,
  /// Subscribing, assigning or consuming failed.
  consume_failed,
  /// The embedded mock cluster could not be created or configured.
  mock_failed,
  /// The cluster refused our SASL credentials.
  authentication_failed,
  /// The TLS handshake with the cluster failed (certificate, CA, protocol).
  tls_failed,
};

} // namespace ds::kafka

template<>
struct ds::diag::errc_traits<ds::kafka::errc> {
  static constexpr std::string_view name = "kafka";
  static constexpr caf::atom_value category = caf::atom("ds_kafka");
  static constexpr std::array<std::string_view, 13> labels{
    "none",           "invalid_config",  "client_create_failed",
    "queue_full",     "produce_failed",  "delivery_failed",
    "timed_out",      "metadata_failed", "topic_create_failed",
    "consume_failed", "mock_failed",     "authentication_failed",
    "tls_failed"};
};

namespace ds::kafka {

using diag::make_error;
using diag::to_string;

/// The kafka error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::kafka
