#pragma once

#include <map>
#include <memory>
#include <string>

#include <caf/expected.hpp>

typedef struct rd_kafka_conf_s rd_kafka_conf_t;

namespace ds::kafka {

/// Connection settings shared by every client we create. `properties` are
/// passed to librdkafka verbatim (security.protocol, sasl.*, ssl.*, ...), so
/// anything librdkafka supports can be set without code changes.
struct client_config {
  std::string brokers = "127.0.0.1:9092";
  std::map<std::string, std::string> properties;
};

struct conf_deleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept;
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

/// Builds a librdkafka configuration from `base`, then `overrides` (which
/// win). Fails with errc::invalid_config naming the property.
caf::expected<conf_ptr>
make_conf(const client_config& base,
          const std::map<std::string, std::string>& overrides = {});

} // namespace ds::kafka
