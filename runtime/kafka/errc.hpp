#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

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
};

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_config:
      return "invalid_config";
    case errc::client_create_failed:
      return "client_create_failed";
    case errc::queue_full:
      return "queue_full";
    case errc::produce_failed:
      return "produce_failed";
    case errc::delivery_failed:
      return "delivery_failed";
    case errc::timed_out:
      return "timed_out";
    case errc::metadata_failed:
      return "metadata_failed";
    case errc::topic_create_failed:
      return "topic_create_failed";
    case errc::consume_failed:
      return "consume_failed";
    case errc::mock_failed:
      return "mock_failed";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_kafka");

inline caf::error make_error(errc x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(detail))};
}

inline errc to_errc(const caf::error& err) noexcept {
  if (!err || err.category() != error_category) {
    return errc::none;
  }
  return static_cast<errc>(err.code());
}

} // namespace ds::kafka
