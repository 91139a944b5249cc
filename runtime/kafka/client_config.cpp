#include "runtime/kafka/client_config.hpp"

#include <mutex>
#include <set>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "diag/log.hpp"
#include "runtime/kafka/errc.hpp"

namespace ds::kafka {

void conf_deleter::operator()(rd_kafka_conf_t* conf) const noexcept {
  rd_kafka_conf_destroy(conf);
}

namespace {

// The secret values given to any client in this process. Read on
// librdkafka's threads (log lines), written when a client is configured.
struct secret_values {
  std::mutex mtx;
  std::set<std::string> values;
};

secret_values& secrets() {
  static secret_values instance;
  return instance;
}

void remember_secret(const std::string& value) {
  if (value.empty()) {
    return;
  }
  auto& s = secrets();
  std::lock_guard<std::mutex> guard{s.mtx};
  s.values.insert(value);
}

caf::error set(rd_kafka_conf_t* conf, const std::string& key,
               const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr,
                        sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return make_error(errc::invalid_config, redact(key + ": " + errstr));
  }
  return {};
}

// librdkafka's own lines join the daemon's JSON log instead of going to
// stderr as free text. Runs on librdkafka's threads; spdlog's default
// logger is thread-safe.
void log_line(const rd_kafka_t* rk, int level, const char* facility,
              const char* message) {
  // syslog levels: 0 emerg .. 3 err, 4 warning, 5 notice, 6 info, 7 debug
  auto lvl = level <= 3   ? spdlog::level::err
             : level == 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info
                          : spdlog::level::debug;
  diag::log_event(lvl, "librdkafka",
                  {{"client", rk != nullptr ? rd_kafka_name(rk) : ""},
                   {"facility", facility},
                   {"msg", redact(message != nullptr ? message : "")}});
}

} // namespace

bool is_secret_property(const std::string& key) {
  return key.find("password") != std::string::npos ||
         key.find("secret") != std::string::npos || key == "ssl.key.pem" ||
         key == "ssl_key";
}

std::string redact(std::string text) {
  auto& s = secrets();
  std::lock_guard<std::mutex> guard{s.mtx};
  for (const auto& secret : s.values) {
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "[redacted]");
      pos += std::string_view{"[redacted]"}.size();
    }
  }
  return text;
}

caf::expected<conf_ptr>
make_conf(const client_config& base,
          const std::map<std::string, std::string>& overrides) {
  conf_ptr conf{rd_kafka_conf_new()};
  rd_kafka_conf_set_log_cb(conf.get(), log_line);
  if (auto err = set(conf.get(), "bootstrap.servers", base.brokers)) {
    return err;
  }
  for (const auto* props : {&base.properties, &overrides}) {
    for (const auto& [key, value] : *props) {
      if (is_secret_property(key)) {
        remember_secret(value);
      }
      if (auto err = set(conf.get(), key, value)) {
        return err;
      }
    }
  }
  return conf;
}

std::string scram_limitation() {
  if (rd_kafka_version() >= 0x020601ff) {
    return {};
  }
  return std::string{"this librdkafka ("} + rd_kafka_version_str() +
         ") cannot log in with SCRAM to Kafka 4 or later even with the right "
         "password (librdkafka#4895, fixed in 2.6.1): use PLAIN over TLS there";
}

} // namespace ds::kafka
