// The daemon's configuration: precedence, validation messages a user reads
// at startup, print --effective, and the generated reference and example
// file staying in step with the settings table.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "config/daemon_config.hpp"
#include "config/errc.hpp"
#include "config/loader.hpp"
#include "config/schema.hpp"
#include "diag/errc.hpp"

using namespace ds::config;
using Catch::Matchers::Contains;

namespace {

namespace fs = std::filesystem;

/// A TOML file in a per-process temporary directory, removed afterwards.
class temp_file {
public:
  temp_file(const std::string& name, const std::string& text)
    : path_(dir() / name) {
    std::ofstream out{path_, std::ios::binary | std::ios::trunc};
    out << text;
  }

  ~temp_file() {
    std::error_code ec;
    fs::remove(path_, ec);
  }

  const fs::path& path() const { return path_; }

  std::string str() const { return path_.string(); }

private:
  static fs::path dir() {
    auto result = fs::temp_directory_path() /
                  ("ds_config_test_" + std::to_string(::getpid()));
    fs::create_directories(result);
    return result;
  }

  fs::path path_;
};

std::string read_source_file(const std::string& relative) {
  std::ifstream in{std::string{DS_SOURCE_DIR} + "/" + relative,
                   std::ios::binary};
  INFO("reading " << DS_SOURCE_DIR << "/" << relative);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

load_request with_env(std::map<std::string, std::string> vars) {
  load_request req;
  req.env = environment::from_map(std::move(vars));
  return req;
}

load_request with_file(const temp_file& file) {
  load_request req;
  req.file = file.path();
  return req;
}

load_request with_flags(std::vector<flag_override> flags) {
  load_request req;
  req.flags = std::move(flags);
  return req;
}

loaded_config load_ok(const load_request& req) {
  auto result = load_with_sources(req);
  if (!result) {
    FAIL("load failed: " << ds::diag::describe(result.error()));
  }
  return std::move(*result);
}

/// The error's problem lines; fails the test when loading succeeds.
std::string load_error(const load_request& req, errc want) {
  auto result = load_with_sources(req);
  if (result) {
    FAIL("load succeeded, expected " << to_string(want));
  }
  INFO(ds::diag::describe(result.error()));
  CHECK(to_errc(result.error()) == want);
  return ds::diag::error_detail(result.error());
}

setting_value get(const daemon_config& cfg, std::string_view key) {
  const auto* s = find_setting(key);
  REQUIRE(s != nullptr);
  return s->access.get(cfg);
}

value_source env_source(std::string name) {
  return {source_kind::env, std::move(name)};
}

value_source flag_source(std::string name = "--set") {
  return {source_kind::flag, std::move(name)};
}

size_t count_lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

} // namespace

// -- defaults and the table -------------------------------------------------

TEST_CASE("the table's defaults equal the struct initialisers") {
  daemon_config defaults;
  for (const auto& s : settings()) {
    INFO(s.key);
    CHECK(s.access.get(defaults) == s.default_value);
  }
}

TEST_CASE("loading nothing gives the defaults, all sourced as default") {
  auto cfg = load_ok(load_request{});
  CHECK(cfg.config == daemon_config{});
  CHECK_FALSE(cfg.file);
  CHECK(cfg.warnings.empty());
  for (const auto& s : settings()) {
    INFO(s.key);
    CHECK(cfg.source_of(s.key) == value_source{});
  }
  CHECK(effective_dlq_topic(cfg.config) == "dashstream-quality-dlq");
}

TEST_CASE("the table is consistent: names, kinds, limits, descriptions") {
  std::set<std::string_view> keys;
  std::set<std::string> env;
  for (const auto& s : settings()) {
    INFO(s.key);
    CHECK(keys.insert(s.key).second);
    for (const auto& name : env_names(s)) {
      INFO(name);
      CHECK(env.insert(name).second);
    }
    auto dot = s.key.find('.');
    REQUIRE(dot != std::string_view::npos);
    auto xs = sections();
    CHECK(std::find(xs.begin(), xs.end(), s.key.substr(0, dot)) != xs.end());
    CHECK_FALSE(s.description.empty());
    CHECK(s.description.find('\n') == std::string_view::npos);
    CHECK(s.description.back() == '.');
    CHECK(s.access.get != nullptr);
    CHECK(s.access.set != nullptr);
    // The struct field can hold every value the table allows.
    daemon_config cfg;
    switch (s.kind) {
      case value_kind::integer:
      case value_kind::size: {
        auto def = std::get<int64_t>(s.default_value);
        CHECK(s.min <= def);
        CHECK(def <= s.max);
        for (auto x : {s.min, s.max}) {
          s.access.set(cfg, setting_value{x});
          CHECK(s.access.get(cfg) == setting_value{x});
        }
        break;
      }
      case value_kind::real: {
        auto def = std::get<double>(s.default_value);
        CHECK(s.min_real <= def);
        CHECK(def <= s.max_real);
        break;
      }
      case value_kind::choice:
        REQUIRE_FALSE(s.access.choices.empty());
        for (auto name : s.access.choices) {
          s.access.set(cfg, setting_value{std::string{name}});
          CHECK(s.access.get(cfg) == setting_value{std::string{name}});
        }
        break;
      case value_kind::boolean:
        CHECK(std::holds_alternative<bool>(s.default_value));
        break;
      case value_kind::string:
        CHECK(std::holds_alternative<std::string>(s.default_value));
        break;
      case value_kind::string_map:
        CHECK(std::holds_alternative<string_map>(s.default_value));
        break;
    }
  }
  CHECK(env_name(*find_setting("kafka.brokers")) == "DASHSTREAM_KAFKA_BROKERS");
  CHECK(to_string(sequence_policy::continue_silently) == "continue");
  CHECK(to_string(transport_security::sasl_ssl) == "sasl_ssl");
}

// -- precedence -------------------------------------------------------------

TEST_CASE("a file overrides the defaults") {
  temp_file file{"override.toml", R"([kafka]
topic = "from-file"
brokers = "k1:9092,k2:9092"

[pipeline]
validators = 8

[log]
level = "debug"
format = "text"
)"};
  auto cfg = load_ok(with_file(file));
  CHECK(cfg.config.kafka.topic == "from-file");
  CHECK(cfg.config.kafka.brokers == "k1:9092,k2:9092");
  CHECK(cfg.config.pipeline.validators == 8);
  CHECK(cfg.config.log.level == log_level::debug);
  CHECK(cfg.config.log.format == log_format::text);
  CHECK(cfg.source_of("kafka.topic") ==
        value_source{source_kind::file, file.str() + ":2"});
  CHECK(cfg.source_of("pipeline.validators") ==
        value_source{source_kind::file, file.str() + ":6"});
  CHECK(cfg.source_of("http.port") == value_source{});
  CHECK(cfg.file == file.path());
  // Untouched keys keep their defaults.
  CHECK(cfg.config.http == http_settings{});
}

TEST_CASE("dotted keys and inline tables are the same keys") {
  temp_file file{"dotted.toml", R"(kafka.topic = "dotted"
http = { port = 4100, host = "0.0.0.0" }
)"};
  auto cfg = load_ok(with_file(file));
  CHECK(cfg.config.kafka.topic == "dotted");
  CHECK(cfg.config.http.port == 4100);
  CHECK(cfg.config.http.host == "0.0.0.0");
}

TEST_CASE("environment overrides the file, flags override the environment") {
  temp_file file{"layers.toml", R"([kafka]
topic = "from-file"
[http]
port = 4000
[log]
level = "debug"
)"};
  auto req = with_file(file);
  req.env = environment::from_map({
    {"KAFKA_TOPIC", "from-env"},
    {"DASHSTREAM_HTTP_PORT", "5000"},
  });
  SECTION("without flags the environment wins over the file") {
    auto cfg = load_ok(req);
    CHECK(cfg.config.kafka.topic == "from-env");
    CHECK(cfg.config.http.port == 5000);
    CHECK(cfg.config.log.level == log_level::debug);
    CHECK(cfg.source_of("kafka.topic") == env_source("KAFKA_TOPIC"));
    CHECK(cfg.source_of("http.port") == env_source("DASHSTREAM_HTTP_PORT"));
  }
  SECTION("a flag wins over both; the last flag for a key wins") {
    req.flags = {{"http.port", "6000"},
                 {"kafka.topic", "first-flag"},
                 {"kafka.topic", "from-flag", "--topic"}};
    auto cfg = load_ok(req);
    CHECK(cfg.config.http.port == 6000);
    CHECK(cfg.config.kafka.topic == "from-flag");
    CHECK(cfg.config.log.level == log_level::debug);
    CHECK(cfg.source_of("http.port") == flag_source());
    CHECK(cfg.source_of("kafka.topic") == flag_source("--topic"));
  }
}

TEST_CASE("every contract section 7 variable sets its key") {
  struct row {
    std::string var;
    std::string_view key;
    std::string text;
    setting_value want;
  };
  std::vector<row> rows{
    {"KAFKA_BROKERS", "kafka.brokers", "b1:9092,b2:9092",
     std::string{"b1:9092,b2:9092"}},
    {"KAFKA_TOPIC", "kafka.topic", "events", std::string{"events"}},
    {"KAFKA_DLQ_TOPIC", "dlq.topic", "events-dead", std::string{"events-dead"}},
    {"KAFKA_GROUP_ID", "kafka.group_id", "websocket-server-v4",
     std::string{"websocket-server-v4"}},
    {"KAFKA_AUTO_OFFSET_RESET", "kafka.auto_offset_reset", "latest",
     std::string{"latest"}},
    {"KAFKA_ON_DECODE_ERROR", "kafka.on_decode_error", "pause",
     std::string{"pause"}},
    // The old server's users spell it the way librdkafka's docs do.
    {"KAFKA_SECURITY_PROTOCOL", "kafka.security_protocol", "SASL_SSL",
     std::string{"sasl_ssl"}},
    {"KAFKA_SASL_MECHANISM", "kafka.sasl_mechanism", "SCRAM-SHA-512",
     std::string{"SCRAM-SHA-512"}},
    {"KAFKA_SASL_USERNAME", "kafka.sasl_username", "svc", std::string{"svc"}},
    {"KAFKA_SASL_PASSWORD", "kafka.sasl_password", "hunter2",
     std::string{"hunter2"}},
    {"KAFKA_SSL_CA_LOCATION", "kafka.ssl_ca_location", "/etc/ca.pem",
     std::string{"/etc/ca.pem"}},
    {"KAFKA_SSL_CERTIFICATE_LOCATION", "kafka.ssl_certificate_location",
     "/etc/cert.pem", std::string{"/etc/cert.pem"}},
    {"KAFKA_SSL_KEY_LOCATION", "kafka.ssl_key_location", "/etc/key.pem",
     std::string{"/etc/key.pem"}},
    {"KAFKA_TENANT_ID", "kafka.tenant_id", "acme", std::string{"acme"}},
    {"MAX_CONCURRENT_DLQ_SENDS", "dlq.max_inflight", "50", int64_t{50}},
    {"DLQ_SEND_TIMEOUT_SECS", "dlq.send_timeout_secs", "7", int64_t{7}},
    {"DLQ_INCLUDE_FULL_PAYLOAD", "dlq.include_payload", "true", true},
    {"WEBSOCKET_HOST", "http.host", "0.0.0.0", std::string{"0.0.0.0"}},
    {"WEBSOCKET_PORT", "http.port", "8080", int64_t{8080}},
    {"WEBSOCKET_MAX_PAYLOAD_BYTES", "kafka.max_payload_bytes", "1048576",
     int64_t{1048576}},
    {"WEBSOCKET_SEND_TIMEOUT_SECS", "http.send_timeout_secs", "9", int64_t{9}},
    {"REPLAY_TIMEOUT_SECS", "replay.timeout_secs", "45", int64_t{45}},
    {"REPLAY_MAX_TOTAL", "replay.max_total", "5000", int64_t{5000}},
    {"SLOW_CLIENT_DISCONNECT_THRESHOLD", "replay.slow_client_threshold", "250",
     int64_t{250}},
    {"SLOW_CLIENT_LAG_WINDOW_SECS", "replay.slow_client_window_secs", "30",
     int64_t{30}},
    {"WEBSOCKET_MAX_CONNECTIONS_PER_IP", "http.max_connections_per_ip", "20",
     int64_t{20}},
    {"KAFKA_LAG_CHECK_INTERVAL_SECS", "kafka.lag_check_interval_secs", "15",
     int64_t{15}},
    // OpenTelemetry's own names (contract §7 lists the endpoint).
    {"OTEL_EXPORTER_OTLP_ENDPOINT", "tracing.endpoint", "http://127.0.0.1:4318",
     std::string{"http://127.0.0.1:4318"}},
    {"OTEL_SERVICE_NAME", "tracing.service_name", "ingest",
     std::string{"ingest"}},
    {"OTEL_TRACES_SAMPLER", "tracing.sampler", "traceidratio",
     std::string{"traceidratio"}},
    {"OTEL_TRACES_SAMPLER_ARG", "tracing.sampler_arg", "0.01", 0.01},
    {"OTEL_RESOURCE_ATTRIBUTES", "tracing.resource_attributes", "a=b,c=d",
     std::string{"a=b,c=d"}},
    {"OTEL_BSP_MAX_QUEUE_SIZE", "tracing.queue_max_spans", "4096",
     int64_t{4096}},
    {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "tracing.batch_max_spans", "100",
     int64_t{100}},
    {"OTEL_BSP_SCHEDULE_DELAY", "tracing.batch_interval_ms", "200",
     int64_t{200}},
    {"OTEL_EXPORTER_OTLP_TIMEOUT", "tracing.export_timeout_ms", "2000",
     int64_t{2000}},
  };
  for (const auto& r : rows) {
    INFO(r.var << " -> " << r.key);
    auto cfg = load_ok(with_env({{r.var, r.text}}));
    CHECK(get(cfg.config, r.key) == r.want);
    CHECK(cfg.source_of(r.key) == env_source(r.var));
  }
  // ... and the table honours no other legacy names.
  std::set<std::string> listed;
  for (const auto& r : rows) {
    listed.insert(r.var);
  }
  std::set<std::string> in_table;
  for (const auto& s : settings()) {
    for (auto name : s.legacy_env) {
      in_table.emplace(name);
    }
  }
  CHECK(in_table == listed);
}

TEST_CASE("a DASHSTREAM_* variable wins over the section 7 name, with a "
          "warning") {
  auto cfg = load_ok(with_env({
    {"KAFKA_TOPIC", "legacy"},
    {"DASHSTREAM_KAFKA_TOPIC", "modern"},
  }));
  CHECK(cfg.config.kafka.topic == "modern");
  CHECK(cfg.source_of("kafka.topic") == env_source("DASHSTREAM_KAFKA_TOPIC"));
  REQUIRE(cfg.warnings.size() == 1);
  CHECK_THAT(cfg.warnings[0], Contains("KAFKA_TOPIC is ignored") &&
                                Contains("DASHSTREAM_KAFKA_TOPIC"));
}

TEST_CASE("direct flags of `dashstream run` carry their own spelling") {
  auto cfg = load_ok(with_flags(
    {{"http.port", "0", "--port"}, {"kafka.brokers", "", "--brokers"}}));
  CHECK(cfg.config.http.port == 0);
  CHECK(cfg.source_of("http.port") == flag_source("--port"));
  auto err = load_error(with_flags({{"http.port", "http", "--port"}}),
                        errc::invalid_value);
  CHECK_THAT(err,
             Contains("flag --port: http.port = \"http\": not an integer") &&
               Contains("allowed: an integer from 0 to 65535"));
}

TEST_CASE("DASHSTREAM_CONFIG names the file unless the request does") {
  temp_file env_file{"from_env.toml", "[kafka]\ntopic = \"env-file\"\n"};
  temp_file req_file{"from_req.toml", "[kafka]\ntopic = \"req-file\"\n"};
  auto req = with_env({{"DASHSTREAM_CONFIG", env_file.str()}});
  CHECK(load_ok(req).config.kafka.topic == "env-file");
  req.file = req_file.path();
  CHECK(load_ok(req).config.kafka.topic == "req-file");
}

// -- messages for bad input -------------------------------------------------

TEST_CASE("an unknown key in the file names the key and its line") {
  temp_file file{"unknown_key.toml", R"([kafka]
topic = "x"
brokerz = "h:9092"
)"};
  auto err = load_error(with_file(file), errc::unknown_key);
  CHECK_THAT(err, Contains(file.str() + ":3:1: unknown key kafka.brokerz") &&
                    Contains("did you mean kafka.brokers?"));
  CHECK(count_lines(err) == 1);
}

TEST_CASE("an unknown key without a near miss lists the section's keys") {
  temp_file file{"far_key.toml", "[breaker]\ncooldown = 3\n"};
  auto err = load_error(with_file(file), errc::unknown_key);
  CHECK_THAT(err, Contains(":2:1: unknown key breaker.cooldown") &&
                    Contains("keys of [breaker]: failure_threshold, "
                             "open_secs, half_open_probes"));
}

TEST_CASE("an unknown section is named, with the known sections") {
  SECTION("a typo") {
    temp_file file{"typo_section.toml", "\n[kafak]\ntopic = \"x\"\n"};
    auto err = load_error(with_file(file), errc::unknown_key);
    CHECK_THAT(err, Contains(file.str() + ":2:2: unknown section [kafak]") &&
                      Contains("did you mean [kafka]?") &&
                      Contains("sections: kafka, pipeline, validation"));
  }
  SECTION("a key outside any section") {
    temp_file file{"top_level.toml", "brokers = \"h:9092\"\n"};
    auto err = load_error(with_file(file), errc::unknown_key);
    CHECK_THAT(err, Contains(":1:1: unknown key brokers at the top level") &&
                      Contains("did you mean kafka.brokers?"));
  }
}

TEST_CASE("a value of the wrong type names key, value, type and what is "
          "allowed") {
  temp_file file{"wrong_type.toml", R"([pipeline]
validators = "4"
[dlq]
include_payload = "true"
[kafka]
sasl_password = 1234
)"};
  auto err = load_error(with_file(file), errc::type_mismatch);
  CHECK_THAT(err, Contains(file.str() +
                           ":2:14: pipeline.validators = \"4\": wrong type "
                           "(string); allowed: an integer from 1 to 1024"));
  CHECK_THAT(err, Contains(":4:19: dlq.include_payload = \"true\": wrong "
                           "type (string); allowed: true or false"));
  // A secret is never echoed, not even when it is wrong.
  CHECK_THAT(err, Contains(":6:17: kafka.sasl_password = \"***\": wrong type "
                           "(integer)"));
  // The file's path holds the pid, which may contain any digits (CI once
  // ran as a pid with "1234" in it): look for the secret past the paths.
  auto text = err;
  for (auto p = text.find(file.str()); p != std::string::npos;
       p = text.find(file.str())) {
    text.erase(p, file.str().size());
  }
  CHECK(text.find("1234") == std::string::npos);
  CHECK(count_lines(err) == 3);
}

TEST_CASE("every integer and size key accepts its limits and rejects one "
          "beyond") {
  // Keys whose limits only make sense with a partner moved along.
  std::map<std::string_view, flag_override> partner_at_max{
    {"pipeline.partition_inflight_low_water",
     {"pipeline.partition_inflight_max", "10000000"}},
    {"supervision.backoff_initial_ms",
     {"supervision.backoff_max_ms", "600000"}},
    {"tracing.batch_max_spans", {"tracing.queue_max_spans", "1000000"}},
  };
  std::map<std::string_view, flag_override> partner_at_min{
    {"supervision.backoff_max_ms", {"supervision.backoff_initial_ms", "1"}},
  };
  size_t tested = 0;
  for (const auto& s : settings()) {
    if (s.kind != value_kind::integer && s.kind != value_kind::size) {
      continue;
    }
    ++tested;
    INFO(s.key << " limits " << s.min << ".." << s.max);
    auto flags = [&](int64_t x, const auto& partners) {
      std::vector<flag_override> result;
      if (auto i = partners.find(s.key); i != partners.end()) {
        result.push_back(i->second);
      }
      result.push_back({std::string{s.key}, std::to_string(x)});
      return result;
    };
    auto at_min = load_ok(with_flags(flags(s.min, partner_at_min)));
    CHECK(get(at_min.config, s.key) == setting_value{s.min});
    auto at_max = load_ok(with_flags(flags(s.max, partner_at_max)));
    CHECK(get(at_max.config, s.key) == setting_value{s.max});
    for (auto bad : {s.min - 1, s.max + 1}) {
      auto err =
        load_error(with_flags({{std::string{s.key}, std::to_string(bad)}}),
                   errc::out_of_range);
      CHECK_THAT(err,
                 Contains("flag --set: " + std::string{s.key} + " = \"" +
                          std::to_string(bad) +
                          "\": out of range; allowed: " + allowed_text(s)));
    }
  }
  CHECK(tested > 30);
}

TEST_CASE("range edges in the file: validators and port") {
  auto try_file = [](const std::string& text) {
    temp_file file{"edges.toml", text};
    return load_with_sources(with_file(file));
  };
  CHECK(try_file("[pipeline]\nvalidators = 1\n"));
  CHECK(try_file("[pipeline]\nvalidators = 1024\n"));
  CHECK(to_errc(try_file("[pipeline]\nvalidators = 0\n").error()) ==
        errc::out_of_range);
  CHECK(to_errc(try_file("[pipeline]\nvalidators = 1025\n").error()) ==
        errc::out_of_range);
  CHECK(try_file("[http]\nport = 0\n"));
  CHECK(try_file("[http]\nport = 65535\n"));
  auto err = try_file("[http]\nport = 65536\n");
  REQUIRE_FALSE(err);
  CHECK_THAT(ds::diag::describe(err.error()),
             Contains("edges.toml:2:8: http.port = 65536: out of range; "
                      "allowed: an integer from 0 to 65535"));
  CHECK(to_errc(try_file("[http]\nport = -1\n").error()) == errc::out_of_range);
}

TEST_CASE("a real-valued key checks its range and accepts integers") {
  auto ok = [](std::string text) {
    return load_with_sources(
      with_env({{"DASHSTREAM_HEALTH_DECODE_ERROR_RATIO_DEGRADED", text}}));
  };
  CHECK(ok("0")->config.health.decode_error_ratio_degraded == 0.0);
  CHECK(ok("1")->config.health.decode_error_ratio_degraded == 1.0);
  CHECK(ok("0.25")->config.health.decode_error_ratio_degraded == 0.25);
  CHECK(to_errc(ok("1.001").error()) == errc::out_of_range);
  CHECK(to_errc(ok("-0.001").error()) == errc::out_of_range);
  CHECK(to_errc(ok("nan").error()) == errc::out_of_range);
  CHECK(to_errc(ok("five percent").error()) == errc::invalid_value);
  temp_file file{"ratio.toml", "[health]\ndecode_error_ratio_degraded = 1\n"};
  CHECK(load_ok(with_file(file)).config.health.decode_error_ratio_degraded ==
        1.0);
}

TEST_CASE("a bad choice lists the allowed values") {
  temp_file file{"bad_choice.toml", "[log]\nlevel = \"verbose\"\n"};
  auto err = load_error(with_file(file), errc::invalid_value);
  CHECK_THAT(err, Contains(":2:9: log.level = \"verbose\": not a valid "
                           "choice; allowed: one of trace, debug, info, "
                           "warn, error"));
  auto env_err = load_error(
    with_env({{"DASHSTREAM_VALIDATION_POLICY", "stop"}}), errc::invalid_value);
  CHECK_THAT(env_err,
             Contains("env DASHSTREAM_VALIDATION_POLICY: validation.policy = "
                      "\"stop\": not a valid choice; allowed: one of "
                      "warn_and_continue, continue, halt"));
}

TEST_CASE("choices are case-insensitive and spelled canonically") {
  auto cfg = load_ok(
    with_flags({{"validation.policy", "Continue"}, {"log.level", "WARN"}}));
  CHECK(cfg.config.validation.policy == sequence_policy::continue_silently);
  CHECK(cfg.config.log.level == log_level::warn);
  CHECK(get(cfg.config, "validation.policy") ==
        setting_value{std::string{"continue"}});
}

TEST_CASE("sizes take integers or strings with binary units") {
  temp_file file{"sizes.toml", R"([kafka]
max_payload_bytes = "10MiB"
[pipeline]
memory_budget_bytes = 268435456
[dlq]
payload_truncate_bytes = "512 KiB"
spool_budget_bytes = "2gib"
)"};
  auto cfg = load_ok(with_file(file));
  CHECK(cfg.config.kafka.max_payload_bytes == 10u << 20);
  CHECK(cfg.config.pipeline.memory_budget_bytes == 256u << 20);
  CHECK(cfg.config.dlq.payload_truncate_bytes == 512u << 10);
  CHECK(cfg.config.dlq.spool_budget_bytes == 2ull << 30);
  auto env_cfg = load_ok(with_env({{"WEBSOCKET_MAX_PAYLOAD_BYTES", "1MiB"}}));
  CHECK(env_cfg.config.kafka.max_payload_bytes == 1u << 20);

  temp_file decimal{"decimal.toml", "[kafka]\nmax_payload_bytes = \"10MB\"\n"};
  CHECK_THAT(load_error(with_file(decimal), errc::invalid_value),
             Contains("kafka.max_payload_bytes = \"10MB\": not a size; "
                      "allowed: a size from 1KiB to 256MiB"));
  CHECK(to_errc(
          load_with_sources(with_flags({{"kafka.max_payload_bytes", "1.5MiB"}}))
            .error()) == errc::invalid_value);
  CHECK(
    to_errc(load_with_sources(with_flags({{"kafka.max_payload_bytes", "-1"}}))
              .error()) == errc::out_of_range);
  CHECK(
    to_errc(load_with_sources(with_flags({{"kafka.max_payload_bytes", "1GiB"}}))
              .error()) == errc::out_of_range);

  CHECK(parse_size("0") == 0);
  CHECK(parse_size("4096B") == 4096);
  CHECK(parse_size("1kib") == 1024);
  CHECK(parse_size("1TiB") == int64_t{1} << 40);
  CHECK_FALSE(parse_size("99999999999TiB"));
  CHECK_FALSE(parse_size("MiB"));
  CHECK_FALSE(parse_size("10 MiB extra"));
  CHECK(format_size(10 << 20) == "10MiB");
  CHECK(format_size(1536) == "1536");
  CHECK(format_size(1000) == "1000");
}

TEST_CASE("the WebSocket and replay-ring limits: defaults, units, names") {
  daemon_config defaults;
  CHECK(defaults.http.ws_max_message_bytes == 1u << 20);
  CHECK(defaults.http.ws_queue_max_bytes == 8u << 20);
  CHECK(defaults.replay.ring_bytes == 64u << 20);
  temp_file file{"ws.toml", R"([http]
ws_max_message_bytes = "64KiB"
[replay]
ring_bytes = "1GiB"
)"};
  auto req = with_file(file);
  req.env =
    environment::from_map({{"DASHSTREAM_HTTP_WS_QUEUE_MAX_BYTES", "16MiB"}});
  auto cfg = load_ok(req);
  CHECK(cfg.config.http.ws_max_message_bytes == 64u << 10);
  CHECK(cfg.config.http.ws_queue_max_bytes == 16u << 20);
  CHECK(cfg.config.replay.ring_bytes == 1ull << 30);
  CHECK(cfg.source_of("http.ws_queue_max_bytes") ==
        env_source("DASHSTREAM_HTTP_WS_QUEUE_MAX_BYTES"));
  // None of the three has a name of the old server.
  for (auto key : {"http.ws_max_message_bytes", "http.ws_queue_max_bytes",
                   "replay.ring_bytes"}) {
    INFO(key);
    const auto* s = find_setting(key);
    REQUIRE(s != nullptr);
    CHECK(s->kind == value_kind::size);
    CHECK(s->legacy_env.empty());
  }
  CHECK_THAT(load_error(with_flags({{"replay.ring_bytes", "512KiB"}}),
                        errc::out_of_range),
             Contains("replay.ring_bytes") && Contains("from 1MiB to 64GiB"));
  CHECK_THAT(load_error(with_flags({{"http.ws_queue_max_bytes", "2GiB"}}),
                        errc::out_of_range),
             Contains("from 64KiB to 1GiB"));
  // The per-tenant WebSocket client limit: a count, not a size.
  CHECK(defaults.http.ws_max_connections_per_tenant == 1000u);
  const auto* per_tenant = find_setting("http.ws_max_connections_per_tenant");
  REQUIRE(per_tenant != nullptr);
  CHECK(per_tenant->kind == value_kind::integer);
  CHECK(per_tenant->legacy_env.empty());
  auto tenant_cfg = load_ok(
    with_env({{"DASHSTREAM_HTTP_WS_MAX_CONNECTIONS_PER_TENANT", "25"}}));
  CHECK(tenant_cfg.config.http.ws_max_connections_per_tenant == 25u);
  CHECK(tenant_cfg.source_of("http.ws_max_connections_per_tenant") ==
        env_source("DASHSTREAM_HTTP_WS_MAX_CONNECTIONS_PER_TENANT"));
  CHECK_THAT(
    load_error(with_flags({{"http.ws_max_connections_per_tenant", "0"}}),
               errc::out_of_range),
    Contains("http.ws_max_connections_per_tenant") &&
      Contains("from 1 to 1000000"));
}

TEST_CASE("booleans from the environment and flags") {
  for (auto [text, want] :
       std::vector<std::pair<std::string, bool>>{{"true", true},
                                                 {"TRUE", true},
                                                 {"1", true},
                                                 {"yes", true},
                                                 {"false", false},
                                                 {"False", false},
                                                 {"0", false},
                                                 {"no", false}}) {
    INFO(text);
    auto cfg = load_ok(with_env({{"DLQ_INCLUDE_FULL_PAYLOAD", text}}));
    CHECK(cfg.config.dlq.include_payload == want);
  }
  CHECK_THAT(load_error(with_flags({{"dlq.include_payload", "maybe"}}),
                        errc::invalid_value),
             Contains("dlq.include_payload = \"maybe\": not a boolean "
                      "(true/false/1/0/yes/no)"));
}

TEST_CASE("partition_inflight_low_water defaults to half of max and must "
          "stay below it") {
  SECTION("unset, it follows partition_inflight_max") {
    auto cfg =
      load_ok(with_flags({{"pipeline.partition_inflight_max", "2000"}}));
    CHECK(cfg.config.pipeline.partition_inflight_low_water == 1000);
    CHECK(cfg.source_of("pipeline.partition_inflight_low_water") ==
          value_source{});
  }
  SECTION("just below max is fine") {
    auto cfg =
      load_ok(with_flags({{"pipeline.partition_inflight_low_water", "9999"}}));
    CHECK(cfg.config.pipeline.partition_inflight_low_water == 9999);
  }
  SECTION("equal to or above max is rejected, naming both keys") {
    for (auto low : {"30000", "40000"}) {
      auto err =
        load_error(with_flags({{"pipeline.partition_inflight_low_water", low}}),
                   errc::conflicting_values);
      CHECK_THAT(err, Contains("pipeline.partition_inflight_low_water = " +
                               std::string{low} +
                               " (flag --set) must be less than "
                               "pipeline.partition_inflight_max = 30000 "
                               "(default); allowed: 1 to 29999"));
    }
  }
}

TEST_CASE("other cross-field checks") {
  CHECK_THAT(load_error(with_env({{"DASHSTREAM_SUPERVISION_BACKOFF_INITIAL_MS",
                                   "20000"}}),
                        errc::conflicting_values),
             Contains("supervision.backoff_initial_ms = 20000 (env "
                      "DASHSTREAM_SUPERVISION_BACKOFF_INITIAL_MS) must not "
                      "exceed supervision.backoff_max_ms = 10000 (default)"));
  CHECK_THAT(load_error(with_env({{"KAFKA_TOPIC", "events"},
                                  {"KAFKA_DLQ_TOPIC", "events"}}),
                        errc::conflicting_values),
             Contains("dlq.topic = \"events\" (env KAFKA_DLQ_TOPIC) must "
                      "differ from kafka.topic = \"events\" (env "
                      "KAFKA_TOPIC)"));
  auto cfg = load_ok(with_env({{"KAFKA_TOPIC", "events"}}));
  CHECK(effective_dlq_topic(cfg.config) == "events-dlq");
}

// -- [auth] -----------------------------------------------------------------

TEST_CASE("auth: defaults, and auto resolves to none without a key") {
  daemon_config defaults;
  CHECK(defaults.auth.mode == auth_mode::automatic);
  CHECK(defaults.auth.hs256_secret_file.empty());
  CHECK(defaults.auth.public_key_file.empty());
  CHECK(defaults.auth.jwt_algorithm == jwt_signing_algorithm::rs256);
  CHECK(defaults.auth.jwks_file.empty());
  CHECK(defaults.auth.tenant_claim == "tenant_id");
  CHECK(defaults.auth.admin_claim.empty());
  CHECK(defaults.auth.leeway_secs == 30);
  CHECK_FALSE(has_auth_key(defaults.auth));
  CHECK(effective_auth_mode(defaults) == auth_mode::none);
  CHECK(to_string(auth_mode::automatic) == "auto");
  CHECK(to_string(auth_mode::none) == "none");
  CHECK(to_string(auth_mode::jwt) == "jwt");
  CHECK(to_string(jwt_signing_algorithm::rs256) == "RS256");
  CHECK(to_string(jwt_signing_algorithm::es256) == "ES256");
  auto xs = sections();
  CHECK(std::find(xs.begin(), xs.end(), "auth") != xs.end());
  std::vector<std::string_view> keys;
  for (const auto& s : settings()) {
    if (s.key.starts_with("auth.")) {
      keys.push_back(s.key);
      INFO(s.key);
      CHECK(s.legacy_env.empty());
      CHECK_FALSE(s.secret);
    }
  }
  CHECK(keys == std::vector<std::string_view>{
                  "auth.mode", "auth.hs256_secret_file", "auth.public_key_file",
                  "auth.jwt_algorithm", "auth.jwks_file", "auth.tenant_claim",
                  "auth.admin_claim", "auth.leeway_secs"});
  CHECK(env_name(*find_setting("auth.mode")) == "DASHSTREAM_AUTH_MODE");
  CHECK(env_names(*find_setting("auth.jwks_file")) ==
        std::vector<std::string>{"DASHSTREAM_AUTH_JWKS_FILE"});
}

TEST_CASE("auth: a file, the environment and flags set every key") {
  temp_file file{"auth.toml", R"([auth]
mode = "jwt"
public_key_file = "/etc/dashstream/jwt.pem"
jwt_algorithm = "ES256"
tenant_claim = "org"
admin_claim = "is_admin"
leeway_secs = 0
)"};
  auto req = with_file(file);
  req.env = environment::from_map({{"DASHSTREAM_AUTH_LEEWAY_SECS", "3600"}});
  req.flags = {{"auth.jwt_algorithm", "rs256"}};
  auto cfg = load_ok(req);
  CHECK(cfg.config.auth.mode == auth_mode::jwt);
  CHECK(cfg.config.auth.public_key_file == "/etc/dashstream/jwt.pem");
  CHECK(cfg.config.auth.jwt_algorithm == jwt_signing_algorithm::rs256);
  CHECK(get(cfg.config, "auth.jwt_algorithm") ==
        setting_value{std::string{"RS256"}});
  CHECK(cfg.config.auth.tenant_claim == "org");
  CHECK(cfg.config.auth.admin_claim == "is_admin");
  CHECK(cfg.config.auth.leeway_secs == 3600);
  CHECK(cfg.source_of("auth.leeway_secs") ==
        env_source("DASHSTREAM_AUTH_LEEWAY_SECS"));
  CHECK(cfg.source_of("auth.jwt_algorithm") == flag_source());
  CHECK(effective_auth_mode(cfg.config) == auth_mode::jwt);

  auto env_cfg =
    load_ok(with_env({{"DASHSTREAM_AUTH_MODE", "JWT"},
                      {"DASHSTREAM_AUTH_JWKS_FILE", "keys.json"}}));
  CHECK(env_cfg.config.auth.mode == auth_mode::jwt);
  CHECK(env_cfg.config.auth.jwks_file == "keys.json");
  CHECK(env_cfg.source_of("auth.mode") == env_source("DASHSTREAM_AUTH_MODE"));
}

TEST_CASE("auth: bad choices, an empty tenant claim and leeway out of range "
          "are rejected") {
  CHECK_THAT(
    load_error(with_env({{"DASHSTREAM_AUTH_MODE", "oidc"}}),
               errc::invalid_value),
    Contains("env DASHSTREAM_AUTH_MODE: auth.mode = \"oidc\": not a valid "
             "choice; allowed: one of auto, none, jwt"));
  temp_file file{"auth_alg.toml", "[auth]\njwt_algorithm = \"HS256\"\n"};
  CHECK_THAT(load_error(with_file(file), errc::invalid_value),
             Contains(":2:17: auth.jwt_algorithm = \"HS256\": not a valid "
                      "choice; allowed: one of RS256, ES256"));
  CHECK_THAT(
    load_error(with_flags({{"auth.tenant_claim", ""}}), errc::invalid_value),
    Contains("auth.tenant_claim = \"\": not allowed; allowed: a "
             "non-empty string"));
  CHECK_THAT(
    load_error(with_flags({{"auth.leeway_secs", "3601"}}), errc::out_of_range),
    Contains("auth.leeway_secs") && Contains("from 0 to 3600"));
  CHECK(to_errc(load_with_sources(with_flags({{"auth.leeway_secs", "-1"}}))
                  .error()) == errc::out_of_range);
}

TEST_CASE("auth: at most one key source") {
  auto err = load_error(with_flags({{"auth.hs256_secret_file", "secret"},
                                    {"auth.jwks_file", "keys.json", "--jwks"}}),
                        errc::conflicting_values);
  CHECK_THAT(err, Contains("auth: set one key source: hs256_secret_file, "
                           "public_key_file or jwks_file, not 2: "
                           "auth.hs256_secret_file = \"secret\" (flag --set), "
                           "auth.jwks_file = \"keys.json\" (flag --jwks)"));
  CHECK_THAT(load_error(with_env({{"DASHSTREAM_AUTH_HS256_SECRET_FILE", "s"},
                                  {"DASHSTREAM_AUTH_PUBLIC_KEY_FILE", "p"},
                                  {"DASHSTREAM_AUTH_JWKS_FILE", "j"}}),
                        errc::conflicting_values),
             Contains("auth: set one key source") && Contains("not 3"));
  // Each alone is fine, and auto then means jwt.
  for (auto key :
       {"auth.hs256_secret_file", "auth.public_key_file", "auth.jwks_file"}) {
    INFO(key);
    auto cfg = load_ok(with_flags({{key, "/run/secrets/k"}}));
    CHECK(cfg.config.auth.mode == auth_mode::automatic);
    CHECK(has_auth_key(cfg.config.auth));
    CHECK(effective_auth_mode(cfg.config) == auth_mode::jwt);
  }
}

TEST_CASE("auth: mode jwt needs a key source") {
  auto err = load_error(with_env({{"DASHSTREAM_AUTH_MODE", "jwt"}}),
                        errc::conflicting_values);
  CHECK_THAT(err, Contains("auth.mode = \"jwt\" (env DASHSTREAM_AUTH_MODE) "
                           "needs a key to verify tokens with; auth: set one "
                           "key source: hs256_secret_file, public_key_file "
                           "or jwks_file"));
  auto cfg = load_ok(with_flags(
    {{"auth.mode", "jwt"}, {"auth.hs256_secret_file", "/run/secrets/hs"}}));
  CHECK(effective_auth_mode(cfg.config) == auth_mode::jwt);
}

TEST_CASE("auth: mode none with a key source is a contradiction") {
  temp_file file{"auth_none.toml", R"([auth]
mode = "none"
public_key_file = "jwt.pem"
)"};
  auto err = load_error(with_file(file), errc::conflicting_values);
  CHECK_THAT(err, Contains("auth.mode = none but a key is configured: "
                           "auth.public_key_file = \"jwt.pem\" (file " +
                           file.str() + ":3)") &&
                    Contains("auth.mode comes from file " + file.str() + ":2"));
  // none without a key loads; whether http.host allows it is the daemon's
  // check.
  auto cfg = load_ok(with_flags({{"auth.mode", "none"}}));
  CHECK(effective_auth_mode(cfg.config) == auth_mode::none);
}

TEST_CASE("string rules: topic names, tenant filter, SASL mechanism") {
  CHECK_THAT(
    load_error(with_flags({{"kafka.topic", "bad topic"}}), errc::invalid_value),
    Contains("kafka.topic = \"bad topic\": not allowed; allowed: a "
             "Kafka topic name"));
  CHECK(to_errc(load_with_sources(with_flags({{"kafka.topic", ""}})).error()) ==
        errc::invalid_value);
  CHECK(
    to_errc(load_with_sources(with_flags({{"kafka.group_id", ""}})).error()) ==
    errc::invalid_value);
  CHECK(to_errc(load_with_sources(with_flags({{"kafka.tenant_id", "a/b"}}))
                  .error()) == errc::invalid_value);
  CHECK(
    to_errc(load_with_sources(with_flags({{"kafka.sasl_mechanism", "plain"}}))
              .error()) == errc::invalid_value);
  CHECK(load_with_sources(with_flags({{"kafka.sasl_mechanism", "PLAIN"},
                                      {"kafka.tenant_id", ""},
                                      {"dlq.topic", ""}})));
}

TEST_CASE("misspelt DASHSTREAM_<SECTION>_* variables stop startup, others "
          "are left alone") {
  auto err = load_error(with_env({{"DASHSTREAM_KAFKA_BROKER", "h:9092"}}),
                        errc::unknown_key);
  CHECK_THAT(err, Contains("env DASHSTREAM_KAFKA_BROKER: unknown variable; "
                           "did you mean DASHSTREAM_KAFKA_BROKERS?"));
  // The scripts' cache directory and the config path are not settings.
  auto cfg = load_ok(with_env({{"DASHSTREAM_CACHE", "/tmp/cache"},
                               {"DASHSTREAM_KAFKA_BROKERS", "h:9092"}}));
  CHECK(cfg.config.kafka.brokers == "h:9092");
}

TEST_CASE("unknown keys in flags are named with a suggestion") {
  CHECK_THAT(load_error(with_flags({{"http.prot", "1"}}), errc::unknown_key),
             Contains("flag --set: unknown key http.prot; did you mean "
                      "http.port?"));
}

TEST_CASE("an unreadable file or broken TOML is reported with its place") {
  SECTION("missing") {
    load_request req;
    req.file = "/nonexistent/dashstream.toml";
    CHECK_THAT(load_error(req, errc::file_unreadable),
               Contains("/nonexistent/dashstream.toml: cannot read the "
                        "configuration file: No such file"));
  }
  SECTION("a directory") {
    load_request req;
    req.file = fs::temp_directory_path();
    CHECK_THAT(load_error(req, errc::file_unreadable),
               Contains("not a regular file"));
  }
  SECTION("a syntax error") {
    temp_file file{"syntax.toml", "[kafka]\ntopic = \"unterminated\n"};
    CHECK_THAT(load_error(with_file(file), errc::parse_error),
               Contains(file.str() + ":2:") && Contains("not valid TOML"));
  }
  SECTION("a duplicate key") {
    temp_file file{"dup.toml", "[kafka]\ntopic = \"a\"\ntopic = \"b\"\n"};
    CHECK_THAT(load_error(with_file(file), errc::parse_error),
               Contains(file.str() + ":3:"));
  }
}

TEST_CASE("every problem is reported at once, file ones in file order") {
  temp_file file{"many.toml", R"([pipeline]
validators = 0
scheduler_threads = "all"
[log]
level = "loud"
colour = true
)"};
  auto req = with_file(file);
  req.env = environment::from_map({{"WEBSOCKET_PORT", "http"}});
  req.flags = {{"dlq.max_inflight", "0"}};
  auto err = load_error(req, errc::out_of_range);
  INFO(err);
  REQUIRE(count_lines(err) == 6);
  std::istringstream lines{err};
  std::string line;
  std::vector<std::string> want{
    ":2:", ":3:", ":5:", ":6:", "env WEBSOCKET_PORT", "flag --set"};
  for (const auto& fragment : want) {
    std::getline(lines, line);
    CHECK_THAT(line, Contains(fragment));
  }
}

// -- kafka.properties -------------------------------------------------------

TEST_CASE("kafka.properties merge from file, environment and flags") {
  temp_file file{"props.toml", R"([kafka.properties]
"fetch.max.bytes" = "1048576"
statistics.interval.ms = "5000"
"client.id" = "from-file"
)"};
  auto req = with_file(file);
  req.env = environment::from_map(
    {{"DASHSTREAM_KAFKA_PROPERTIES", R"({ "client.id" = "from-env" })"}});
  req.flags = {{"kafka.properties.socket.keepalive.enable", "true"}};
  auto cfg = load_ok(req);
  CHECK(cfg.config.kafka.properties ==
        string_map{{"client.id", "from-env"},
                   {"fetch.max.bytes", "1048576"},
                   {"socket.keepalive.enable", "true"},
                   {"statistics.interval.ms", "5000"}});
  CHECK(cfg.source_of("kafka.properties.fetch.max.bytes") ==
        value_source{source_kind::file, file.str() + ":2"});
  CHECK(cfg.source_of("kafka.properties.statistics.interval.ms") ==
        value_source{source_kind::file, file.str() + ":3"});
  CHECK(cfg.source_of("kafka.properties.client.id") ==
        env_source("DASHSTREAM_KAFKA_PROPERTIES"));
  CHECK(cfg.source_of("kafka.properties.socket.keepalive.enable") ==
        flag_source());
}

TEST_CASE("kafka.properties rejects non-strings and shadowed properties") {
  temp_file file{"bad_props.toml", R"([kafka.properties]
"fetch.max.bytes" = 1048576
"bootstrap.servers" = "h:9092"
)"};
  auto err = load_error(with_file(file), errc::type_mismatch);
  CHECK_THAT(err, Contains(":2:21: kafka.properties.\"fetch.max.bytes\" = "
                           "1048576: wrong type (integer); allowed: a string"));
  CHECK_THAT(err, Contains(":3:23: kafka.properties.\"bootstrap.servers\": "
                           "property \"bootstrap.servers\" has its own key; "
                           "set kafka.brokers instead"));
  CHECK_THAT(
    load_error(with_env({{"DASHSTREAM_KAFKA_PROPERTIES", "fetch.max.bytes=1"}}),
               errc::invalid_value),
    Contains("env DASHSTREAM_KAFKA_PROPERTIES: kafka.properties = "
             "\"fetch.max.bytes=1\": not a TOML inline table"));
  CHECK_THAT(load_error(with_flags({{"kafka.properties.group.id", "g"}}),
                        errc::invalid_value),
             Contains("set kafka.group_id instead"));
}

// -- print --effective ------------------------------------------------------

TEST_CASE("print --effective redacts secrets that the struct keeps") {
  temp_file file{"secret.toml", R"([kafka]
security_protocol = "sasl_ssl"
sasl_mechanism = "PLAIN"
sasl_username = "svc"
[kafka.properties]
"ssl.key.password" = "pem-pass"
"sasl.oauthbearer.client.secret" = "oauth-secret"
"client.id" = "visible"
)"};
  auto req = with_file(file);
  req.env = environment::from_map({{"KAFKA_SASL_PASSWORD", "hunter2"}});
  auto cfg = load_ok(req);
  CHECK(cfg.config.kafka.sasl_password == "hunter2");
  CHECK(cfg.config.kafka.properties.at("ssl.key.password") == "pem-pass");
  auto out = print_effective(cfg);
  INFO(out);
  CHECK(out.find("hunter2") == std::string::npos);
  CHECK(out.find("pem-pass") == std::string::npos);
  CHECK(out.find("oauth-secret") == std::string::npos);
  CHECK_THAT(out, Contains("sasl_password = \"***\"") &&
                    Contains("# env KAFKA_SASL_PASSWORD") &&
                    Contains("\"ssl.key.password\" = \"***\"") &&
                    Contains("\"client.id\"") && Contains("\"visible\""));
  // An unset secret is shown as unset, not as "***".
  auto plain = print_effective(load_ok(load_request{}));
  CHECK_THAT(plain, Contains("sasl_password") && Contains("= \"\""));
  CHECK(plain.find("***\"  #") == std::string::npos);
}

TEST_CASE("print --effective names the source of every value") {
  temp_file file{"sources.toml", "[log]\nlevel = \"debug\"\n"};
  auto req = with_file(file);
  req.env = environment::from_map({{"KAFKA_TOPIC", "events"}});
  req.flags = {{"http.port", "0", "--port"}};
  auto out = print_effective(load_ok(req));
  INFO(out);
  auto line_of = [&out](const std::string& start) {
    auto at = out.find("\n" + start);
    REQUIRE(at != std::string::npos);
    return out.substr(at + 1, out.find('\n', at + 1) - at - 1);
  };
  CHECK_THAT(line_of("level = "), Contains("# file " + file.str() + ":2"));
  CHECK_THAT(line_of("topic = "),
             Contains("\"events\"") && Contains("# env KAFKA_TOPIC"));
  CHECK_THAT(line_of("port = "), Contains("= 0") && Contains("# flag --port"));
  CHECK_THAT(line_of("validators = "),
             Contains("= 4") && Contains("# default"));
  CHECK_THAT(line_of("max_payload_bytes = "), Contains("\"10MiB\""));
  CHECK_THAT(line_of("partition_inflight_low_water = "),
             Contains("# default (half of pipeline.partition_inflight_max "
                      "when unset)"));
  for (const auto& s : settings()) {
    if (s.kind != value_kind::string_map) {
      INFO(s.key);
      auto name = std::string{s.key.substr(s.key.find('.') + 1)};
      CHECK(out.find("\n" + name + " ") != std::string::npos);
    }
  }
  CHECK_THAT(line_of("max_total = "),
             Contains("= 10000") && Contains("# default"));
  CHECK_THAT(line_of("ring_bytes = "),
             Contains("\"64MiB\"") && Contains("# default"));
}

TEST_CASE("print --effective parses back to the same configuration") {
  temp_file file{"roundtrip_in.toml", R"([kafka]
brokers = "k1:9092"
auto_offset_reset = "latest"
max_payload_bytes = 1000000
tenant_id = "acme"
[kafka.properties]
"fetch.max.bytes" = "1048576"
"client.id" = "quote\" and \\ backslash"
[pipeline]
partition_inflight_max = 3000
scheduler_threads = 2
[validation]
policy = "continue"
[health]
decode_error_ratio_degraded = 0.1
[dlq]
include_payload = true
spool_dir = "/var/spool/dash stream"
spool_budget_bytes = "3GiB"
)"};
  auto req = with_file(file);
  req.env = environment::from_map({{"MAX_CONCURRENT_DLQ_SENDS", "123"}});
  req.flags = {{"log.format", "text"}, {"http.port", "0"}};
  auto first = load_ok(req);
  temp_file printed{"roundtrip_out.toml", print_effective(first)};
  auto second = load_ok(with_file(printed));
  CHECK(second.config == first.config);
  CHECK(second.config.pipeline.partition_inflight_low_water == 1500);
  // Printing is deterministic: the reloaded config prints the same values.
  auto strip_comments = [](const std::string& text) {
    std::string result;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
      auto hash = line.find("  #");
      if (!line.starts_with("#")) {
        result += line.substr(0, hash) + "\n";
      }
    }
    return result;
  };
  CHECK(strip_comments(print_effective(second)) ==
        strip_comments(print_effective(first)));
}

// -- generated files --------------------------------------------------------

TEST_CASE("the example file is generated from the table and loads to the "
          "defaults") {
  auto text = read_source_file("config/dashstream.example.toml");
  INFO("regenerate with: cmake --build <build-dir> --target config_docs");
  CHECK(text == example_toml());
  load_request req;
  req.file = fs::path{DS_SOURCE_DIR} / "config/dashstream.example.toml";
  auto cfg = load_ok(req);
  CHECK(cfg.config == daemon_config{});
  for (const auto& s : settings()) {
    if (s.kind != value_kind::string_map) {
      INFO(s.key << " is missing from the example");
      CHECK(cfg.source_of(s.key).kind == source_kind::file);
    }
  }
}

TEST_CASE("docs/configuration.md is the generated reference") {
  auto text = read_source_file("docs/configuration.md");
  INFO("regenerate with: cmake --build <build-dir> --target config_docs");
  CHECK(text == reference_markdown());
  for (const auto& s : settings()) {
    INFO(s.key);
    CHECK_THAT(text, Contains("### `" + std::string{s.key} + "`") &&
                       Contains(env_name(s)));
  }
}

// -- what `dashstream config` will call -------------------------------------

TEST_CASE("check reports success with counts, failure with every problem") {
  temp_file file{"check.toml", "[kafka]\ntopic = \"events\"\n"};
  auto req = with_file(file);
  req.env = environment::from_map(
    {{"WEBSOCKET_PORT", "4000"}, {"KAFKA_SASL_USERNAME", "svc"}});
  auto ok = check(req);
  CHECK(ok.ok);
  CHECK_THAT(ok.report,
             Contains("configuration OK: " + file.str()) &&
               Contains("1 from the file, 2 from the environment, 0 from "
                        "flags") &&
               Contains("warning: kafka.sasl_username is set (env "
                        "KAFKA_SASL_USERNAME) but "
                        "kafka.security_protocol is plaintext"));
  req.flags = {{"pipeline.validators", "0"}, {"log.level", "loud"}};
  auto bad = check(req);
  CHECK_FALSE(bad.ok);
  CHECK_THAT(bad.report,
             Contains("configuration is invalid (2 problems):\n"
                      "  flag --set: pipeline.validators = \"0\": out of "
                      "range") &&
               Contains("\n  flag --set: log.level = \"loud\""));
}

TEST_CASE("parse_set_flag splits at the first '='") {
  auto x = parse_set_flag("kafka.properties.sasl.oauthbearer.config=a=b");
  REQUIRE(x);
  CHECK(x->key == "kafka.properties.sasl.oauthbearer.config");
  CHECK(x->value == "a=b");
  CHECK(x->flag == "--set");
  auto empty_value = parse_set_flag("kafka.brokers=");
  REQUIRE(empty_value);
  CHECK(empty_value->value.empty());
  CHECK(to_errc(parse_set_flag("kafka.brokers").error()) ==
        errc::invalid_value);
  CHECK(to_errc(parse_set_flag("=x").error()) == errc::invalid_value);
}

TEST_CASE("the loader class applies layers in call order and keeps every "
          "problem") {
  loader builder;
  CHECK_FALSE(builder.apply_toml("[http]\nport = 4000\n", "inline.toml"));
  CHECK_FALSE(
    builder.apply_override("http.port", "4001", flag_source("--port")));
  auto err = builder.apply_override("http.port", "x", flag_source("--port"));
  CHECK(to_errc(err) == errc::invalid_value);
  auto result = builder.finish();
  REQUIRE_FALSE(result);
  CHECK_THAT(ds::diag::describe(result.error()),
             Contains("flag --port: http.port"));
  loader clean;
  CHECK_FALSE(clean.apply_toml("[http]\nport = 4000\n", "inline.toml"));
  CHECK_FALSE(clean.apply_override("http.port", "4001", flag_source()));
  auto cfg = clean.finish();
  REQUIRE(cfg);
  CHECK(cfg->config.http.port == 4001);
  CHECK(cfg->source_of("http.port") == flag_source());
}

TEST_CASE("tracing keys are checked at their edges") {
  auto defaults = load_ok(with_env({}));
  CHECK(defaults.config.tracing.endpoint.empty()); // tracing off
  CHECK(defaults.config.tracing.sampler == "parentbased_always_on");
  for (auto good : {"http://127.0.0.1:4318", "http://collector:4318/otlp/",
                    "http://[::1]:4318"}) {
    INFO(good);
    CHECK(load_ok(with_flags({{"tracing.endpoint", good}}))
            .config.tracing.endpoint == good);
  }
  for (auto bad : {"https://collector:4318", "collector:4318",
                   "http://collector", "http://collector:", "http://:4318",
                   "http://c:43x8", "http://c:1234567"}) {
    INFO(bad);
    CHECK_THAT(
      load_error(with_flags({{"tracing.endpoint", bad}}), errc::invalid_value),
      Contains("tracing.endpoint") && Contains("http://host:port"));
  }
  CHECK_THAT(load_error(with_flags({{"tracing.sampler", "jaeger_remote"}}),
                        errc::invalid_value),
             Contains("parentbased_traceidratio"));
  CHECK(load_ok(with_flags({{"tracing.sampler_arg", "0"}}))
          .config.tracing.sampler_arg == 0.0);
  CHECK_THAT(load_error(with_flags({{"tracing.sampler_arg", "1.5"}}),
                        errc::out_of_range),
             Contains("tracing.sampler_arg"));
  CHECK_THAT(
    load_error(with_flags({{"tracing.resource_attributes", "novalue"}}),
               errc::invalid_value),
    Contains("key=value"));
  CHECK(load_ok(with_flags({{"tracing.queue_max_spans", "1"},
                            {"tracing.batch_max_spans", "1"}}))
          .config.tracing.queue_max_spans == 1u);
  // Unset, the batch follows a smaller queue.
  CHECK(load_ok(with_flags({{"tracing.queue_max_spans", "100"}}))
          .config.tracing.batch_max_spans == 100u);
  CHECK_THAT(load_error(with_flags({{"tracing.queue_max_spans", "0"}}),
                        errc::out_of_range),
             Contains("from 1 to 1000000"));
  CHECK_THAT(load_error(with_flags({{"tracing.queue_max_spans", "100"},
                                    {"tracing.batch_max_spans", "101"}}),
                        errc::conflicting_values),
             Contains("tracing.batch_max_spans") &&
               Contains("tracing.queue_max_spans"));
  CHECK_THAT(load_error(with_flags({{"tracing.export_timeout_ms", "99"}}),
                        errc::out_of_range),
             Contains("from 100 to 60000"));
}
