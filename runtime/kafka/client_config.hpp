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

/// Whether librdkafka property `key` holds a secret (sasl.password,
/// ssl.key.password, ...): never logged.
bool is_secret_property(const std::string& key);

/// `text` with the value of every secret property make_conf has seen
/// replaced by "[redacted]". librdkafka's log and error lines pass through
/// this before they reach our log, so a secret echoed by a broker or a
/// debug context stays out of it.
std::string redact(std::string text);

/// Why a SCRAM login may fail with the right password, or "": librdkafka
/// before 2.6.1 builds a SCRAM proof that Kafka 4 brokers reject
/// (librdkafka#4895). For the operator's error message.
std::string scram_limitation();

} // namespace ds::kafka
