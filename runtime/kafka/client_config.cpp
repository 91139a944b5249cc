#include "runtime/kafka/client_config.hpp"

#include <librdkafka/rdkafka.h>

#include "runtime/kafka/errc.hpp"

namespace ds::kafka {

void conf_deleter::operator()(rd_kafka_conf_t* conf) const noexcept {
  rd_kafka_conf_destroy(conf);
}

namespace {

caf::error set(rd_kafka_conf_t* conf, const std::string& key,
               const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr,
                        sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return make_error(errc::invalid_config, key + ": " + errstr);
  }
  return {};
}

} // namespace

caf::expected<conf_ptr>
make_conf(const client_config& base,
          const std::map<std::string, std::string>& overrides) {
  conf_ptr conf{rd_kafka_conf_new()};
  if (auto err = set(conf.get(), "bootstrap.servers", base.brokers)) {
    return err;
  }
  for (const auto& [key, value] : base.properties) {
    if (auto err = set(conf.get(), key, value)) {
      return err;
    }
  }
  for (const auto& [key, value] : overrides) {
    if (auto err = set(conf.get(), key, value)) {
      return err;
    }
  }
  return conf;
}

} // namespace ds::kafka
