#include "kafka_env.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ds::test {
namespace {

constexpr std::string_view k_how_to_start =
  "start a broker with `scripts/kafka-broker.sh start build/kafka` and "
  "set DS_KAFKA_BROKERS=<host:port> (or "
  "DS_KAFKA_BOOTSTRAP_FILE=build/kafka/bootstrap), or run the test via "
  "`ctest -L integration`, whose kafka_broker fixture does both";

std::string trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(ws);
  return std::string(s.substr(first, last - first + 1));
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

} // namespace

std::string kafka_bootstrap() {
  if (auto brokers = trim(env_or_empty("DS_KAFKA_BROKERS")); !brokers.empty()) {
    return brokers;
  }

  auto file = env_or_empty("DS_KAFKA_BOOTSTRAP_FILE");
#ifdef DS_KAFKA_DEFAULT_BOOTSTRAP_FILE
  if (file.empty()) {
    file = DS_KAFKA_DEFAULT_BOOTSTRAP_FILE;
  }
#endif
  if (file.empty()) {
    throw std::runtime_error("no Kafka broker: neither DS_KAFKA_BROKERS nor "
                             "DS_KAFKA_BOOTSTRAP_FILE is set; " +
                             std::string(k_how_to_start));
  }

  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("no Kafka broker: cannot read " + file +
                             " (DS_KAFKA_BOOTSTRAP_FILE); is the broker "
                             "running? " +
                             std::string(k_how_to_start));
  }
  std::ostringstream content;
  content << in.rdbuf();
  auto bootstrap = trim(content.str());
  if (bootstrap.empty()) {
    throw std::runtime_error("no Kafka broker: " + file +
                             " (DS_KAFKA_BOOTSTRAP_FILE) is empty; " +
                             std::string(k_how_to_start));
  }
  return bootstrap;
}

} // namespace ds::test
