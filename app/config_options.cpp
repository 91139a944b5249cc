#include "app/config_options.hpp"

namespace ds::app {

void config_options::add_to(CLI::App& cmd) {
  cmd.add_option("-c,--config", file,
                 "TOML configuration file (or env DASHSTREAM_CONFIG)");
  cmd.add_option("--set", sets,
                 "Override one setting: --set section.key=value "
                 "(repeatable; see docs/configuration.md)");
  cmd.add_option("--brokers", brokers,
                 "Shortcut for --set kafka.brokers=... (empty: embedded)");
  cmd.add_option("--topic", topic, "Shortcut for --set kafka.topic=...");
  cmd.add_option("--group-id", group_id,
                 "Shortcut for --set kafka.group_id=...");
  cmd.add_option("--port", port, "Shortcut for --set http.port=...");
}

caf::expected<config::load_request> config_options::request() const {
  config::load_request req;
  req.env = config::environment::process();
  if (!file.empty()) {
    req.file = file;
  }
  for (const auto& s : sets) {
    auto f = config::parse_set_flag(s);
    if (!f) {
      return f.error();
    }
    req.flags.push_back(std::move(*f));
  }
  auto direct = [&](const char* key, const std::string& value,
                    const char* flag) {
    if (!value.empty()) {
      req.flags.push_back({key, value, flag});
    }
  };
  direct("kafka.brokers", brokers, "--brokers");
  direct("kafka.topic", topic, "--topic");
  direct("kafka.group_id", group_id, "--group-id");
  if (port) {
    req.flags.push_back({"http.port", std::to_string(*port), "--port"});
  }
  return req;
}

} // namespace ds::app
