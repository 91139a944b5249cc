#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace ds::config {

// -- choice-valued settings ---------------------------------------------------
//
// Each enum comes with choice_names(): its spellings in the file, in
// enumerator order. The settings table takes the allowed values from there,
// so a new enumerator cannot be forgotten in parsing, printing or the docs.

/// Where a consumer group without committed offsets starts reading.
enum class offset_reset : uint8_t { earliest, latest };

/// How record values are decoded (contract §1.3).
enum class decode_strictness : uint8_t { compatible, strict };

/// What a partition reader does with a record that fails to decode.
enum class decode_error_action : uint8_t { skip, pause };

/// librdkafka `security.protocol`.
enum class transport_security : uint8_t {
  plaintext,
  ssl,
  sasl_plaintext,
  sasl_ssl,
};

/// Sequence-validation policy (contract §3). `continue` is a keyword in
/// C++, hence `continue_silently`; the file still spells it "continue".
enum class sequence_policy : uint8_t {
  warn_and_continue,
  continue_silently,
  halt,
};

/// How WebSocket clients authenticate. `auto` is a keyword in C++, hence
/// `automatic`; the file spells it "auto". effective_auth_mode() resolves it.
enum class auth_mode : uint8_t { automatic, none, jwt };

/// The one algorithm tokens are verified with under auth.public_key_file.
enum class jwt_signing_algorithm : uint8_t { rs256, es256 };

enum class log_level : uint8_t { trace, debug, info, warn, error };

enum class log_format : uint8_t { json, text };

namespace detail {

inline constexpr std::array<std::string_view, 2> offset_reset_names{"earliest",
                                                                    "latest"};
inline constexpr std::array<std::string_view, 2> decode_strictness_names{
  "compatible", "strict"};
inline constexpr std::array<std::string_view, 2> decode_error_action_names{
  "skip", "pause"};
inline constexpr std::array<std::string_view, 4> transport_security_names{
  "plaintext", "ssl", "sasl_plaintext", "sasl_ssl"};
inline constexpr std::array<std::string_view, 3> sequence_policy_names{
  "warn_and_continue", "continue", "halt"};
inline constexpr std::array<std::string_view, 3> auth_mode_names{"auto", "none",
                                                                 "jwt"};
inline constexpr std::array<std::string_view, 2> jwt_signing_algorithm_names{
  "RS256", "ES256"};
inline constexpr std::array<std::string_view, 5> log_level_names{
  "trace", "debug", "info", "warn", "error"};
inline constexpr std::array<std::string_view, 2> log_format_names{"json",
                                                                  "text"};

} // namespace detail

constexpr std::span<const std::string_view> choice_names(offset_reset) {
  return detail::offset_reset_names;
}
constexpr std::span<const std::string_view> choice_names(decode_strictness) {
  return detail::decode_strictness_names;
}
constexpr std::span<const std::string_view> choice_names(decode_error_action) {
  return detail::decode_error_action_names;
}
constexpr std::span<const std::string_view> choice_names(transport_security) {
  return detail::transport_security_names;
}
constexpr std::span<const std::string_view> choice_names(sequence_policy) {
  return detail::sequence_policy_names;
}
constexpr std::span<const std::string_view> choice_names(auth_mode) {
  return detail::auth_mode_names;
}
constexpr std::span<const std::string_view>
choice_names(jwt_signing_algorithm) {
  return detail::jwt_signing_algorithm_names;
}
constexpr std::span<const std::string_view> choice_names(log_level) {
  return detail::log_level_names;
}
constexpr std::span<const std::string_view> choice_names(log_format) {
  return detail::log_format_names;
}

/// The spelling of a choice in files, logs and /version.
template<class Enum>
requires requires(Enum x) {
  choice_names(x);
}
constexpr std::string_view to_string(Enum x) {
  return choice_names(x)[static_cast<size_t>(x)];
}

// -- settings structs ---------------------------------------------------------
//
// Plain values with the documented defaults as member initialisers; field
// names are the keys of the file (`[kafka] brokers` is kafka.brokers), and
// units are in the names. The loader fills them; nothing here validates.
// config/schema.cpp holds the table that describes every field, and a test
// checks that its defaults agree with these initialisers.

struct kafka_settings {
  /// "" = start the embedded mock broker.
  std::string brokers;
  std::string topic = "dashstream-quality";
  std::string group_id = "dashstream";
  offset_reset auto_offset_reset = offset_reset::earliest;
  decode_strictness decode_mode = decode_strictness::compatible;
  decode_error_action on_decode_error = decode_error_action::skip;
  transport_security security_protocol = transport_security::plaintext;
  /// "" = librdkafka's default.
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;
  std::string ssl_ca_location;
  std::string ssl_certificate_location;
  std::string ssl_key_location;
  /// "" = all tenants.
  std::string tenant_id;
  uint32_t session_timeout_ms = 45'000;
  uint64_t max_payload_bytes = 10ull << 20;
  uint32_t lag_check_interval_secs = 10;
  uint32_t watermark_timeout_ms = 5'000;
  /// Raw librdkafka properties, passed through verbatim.
  std::map<std::string, std::string> properties;

  bool operator==(const kafka_settings&) const = default;
};

struct pipeline_settings {
  uint32_t validators = 4;
  /// 0 = one per CPU core.
  uint32_t scheduler_threads = 0;
  uint32_t partition_inflight_max = 30'000;
  /// Unless set, the loader makes this half of partition_inflight_max.
  uint32_t partition_inflight_low_water = 15'000;
  uint64_t memory_budget_bytes = 2ull << 30;
  /// The consumer polls no more records while the pipeline holds this many
  /// bytes of polled, unfinished ones; 0 = no window.
  uint64_t dispatch_window_bytes = 32ull << 20;
  /// While the window is full the consumer still polls this often.
  uint32_t dispatch_window_poll_ms = 100;
  uint32_t shutdown_timeout_secs = 10;

  bool operator==(const pipeline_settings&) const = default;
};

struct validation_settings {
  sequence_policy policy = sequence_policy::warn_and_continue;
  uint32_t max_tracked_threads = 100'000;
  uint32_t max_thread_id_bytes = 256;

  bool operator==(const validation_settings&) const = default;
};

struct http_settings {
  std::string host = "127.0.0.1";
  /// 0 = an ephemeral port (tests).
  uint16_t port = 3002;
  uint32_t max_connections_per_ip = 10;
  uint32_t send_timeout_secs = 5;
  /// Largest message a WebSocket client may send (contract §5.3).
  uint64_t ws_max_message_bytes = 1ull << 20;
  /// Bytes queued for one WebSocket client beyond which it is disconnected
  /// for backpressure.
  uint64_t ws_queue_max_bytes = 8ull << 20;
  /// Concurrent WebSocket clients of one tenant, counted per daemon.
  uint32_t ws_max_connections_per_tenant = 1000;
  /// "" = the UI directory this build names (DS_UI_DIR).
  std::string ui_dir;
  uint32_t stats_interval_ms = 1000;
  uint32_t stats_history_secs = 300;

  bool operator==(const http_settings&) const = default;
};

/// WebSocket client authentication with JWT. At most one key source
/// (hs256_secret_file, public_key_file, jwks_file) is set; the loader
/// checks that and the mode against it.
struct auth_settings {
  /// automatic = jwt when a key source is set, else none; see
  /// effective_auth_mode().
  auth_mode mode = auth_mode::automatic;
  /// "" = not this key source. The HS256 shared secret (the file's bytes,
  /// one trailing newline ignored).
  std::string hs256_secret_file;
  /// "" = not this key source. PEM public key (RSA or EC P-256).
  std::string public_key_file;
  /// The one algorithm accepted with public_key_file.
  jwt_signing_algorithm jwt_algorithm = jwt_signing_algorithm::rs256;
  /// "" = not this key source. JWKS file; a token's kid picks the key.
  std::string jwks_file;
  /// Claim that holds the client's tenant; never empty.
  std::string tenant_claim = "tenant_id";
  /// Claim that, when true, lets a client see every tenant; "" = no admin
  /// tokens.
  std::string admin_claim;
  /// Clock skew allowed when checking exp and nbf.
  uint32_t leeway_secs = 30;

  bool operator==(const auth_settings&) const = default;
};

struct health_settings {
  uint32_t window_secs = 120;
  uint32_t min_samples = 100;
  double decode_error_ratio_degraded = 0.05;
  uint32_t infra_error_recent_secs = 60;

  bool operator==(const health_settings&) const = default;
};

struct breaker_settings {
  uint32_t failure_threshold = 5;
  uint32_t open_secs = 10;
  uint32_t half_open_probes = 1;

  bool operator==(const breaker_settings&) const = default;
};

struct supervision_settings {
  uint32_t max_restarts = 5;
  uint32_t within_secs = 60;
  uint32_t backoff_initial_ms = 100;
  uint32_t backoff_max_ms = 10'000;

  bool operator==(const supervision_settings&) const = default;
};

struct dlq_settings {
  /// "" = "<kafka.topic>-dlq"; see effective_dlq_topic().
  std::string topic;
  uint32_t max_inflight = 100;
  uint32_t send_timeout_secs = 5;
  bool include_payload = false;
  uint64_t payload_truncate_bytes = 512ull << 10;
  std::string spool_dir = "./dashstream-spool";
  uint64_t spool_budget_bytes = 1ull << 30;
  /// A spool segment file is sealed and a new one started past this size.
  uint64_t spool_segment_bytes = 64ull << 20;
  /// Most appends that share one fsync (group commit).
  uint32_t spool_fsync_batch = 1'024;
  /// Spool writes bypass the page cache (O_DIRECT) where the filesystem
  /// allows it.
  bool spool_direct_io = true;
  /// How often the drainer retries Kafka while records are spooled.
  uint32_t drain_interval_ms = 1000;
  /// Crashes of a validator on the same record before it is quarantined to
  /// the DLQ as error_type=poison.
  uint32_t poison_max_crashes = 3;
  /// Memory for the newest DLQ records /api/dlq lists.
  uint64_t recent_bytes = 1ull << 20;

  bool operator==(const dlq_settings&) const = default;
};

struct replay_settings {
  uint32_t timeout_secs = 30;
  uint32_t max_total = 10'000;
  uint32_t slow_client_threshold = 1'000;
  uint32_t slow_client_window_secs = 60;
  /// Bytes of recently forwarded records kept in memory (all partitions
  /// together) so that a client resumes exactly.
  uint64_t ring_bytes = 64ull << 20;
  /// How often a daemon looks for partitions another group member
  /// validates, and the longest one read of them waits.
  uint32_t mirror_poll_ms = 100;
  /// Records of those partitions read at a time.
  uint32_t mirror_batch_records = 2'000;

  bool operator==(const replay_settings&) const = default;
};

/// OpenTelemetry tracing of sampled records (docs/tracing.md); the
/// OTEL_* variables set the same keys.
struct tracing_settings {
  /// OTLP/HTTP collector, http://host:port[/prefix] ("" = tracing off).
  std::string endpoint;
  std::string service_name = "dashstream";
  std::string sampler = "parentbased_always_on";
  double sampler_arg = 1.0;
  /// Extra resource attributes, "key=value,key=value".
  std::string resource_attributes;
  uint32_t queue_max_spans = 2048;
  uint32_t batch_max_spans = 512;
  uint32_t batch_interval_ms = 1000;
  uint32_t export_timeout_ms = 5000;

  bool operator==(const tracing_settings&) const = default;
};

/// The quality aggregator (docs/quality.md): contract §6's quality family
/// from Metrics messages with scope "quality". The caps bound the label
/// values; later values share the series labelled "other".
struct quality_settings {
  bool enabled = true;
  uint32_t max_models = 20;
  uint32_t max_categories = 20;
  uint32_t max_tenants = 20;

  bool operator==(const quality_settings&) const = default;
};

struct log_settings {
  log_level level = log_level::info;
  log_format format = log_format::json;

  bool operator==(const log_settings&) const = default;
};

/// Everything `dashstream run` is configured with. Built once at startup by
/// config::load() and then only read (copy the parts an actor needs).
struct daemon_config {
  kafka_settings kafka;
  pipeline_settings pipeline;
  validation_settings validation;
  http_settings http;
  auth_settings auth;
  health_settings health;
  breaker_settings breaker;
  supervision_settings supervision;
  dlq_settings dlq;
  replay_settings replay;
  tracing_settings tracing;
  quality_settings quality;
  log_settings log;

  bool operator==(const daemon_config&) const = default;
};

/// The DLQ topic to write to: dlq.topic, or "<kafka.topic>-dlq" (contract
/// §1.4) when it is empty.
inline std::string effective_dlq_topic(const daemon_config& cfg) {
  return cfg.dlq.topic.empty() ? cfg.kafka.topic + "-dlq" : cfg.dlq.topic;
}

/// True when auth names a key source (hs256_secret_file, public_key_file or
/// jwks_file); a loaded configuration has at most one.
inline bool has_auth_key(const auth_settings& x) {
  return !x.hs256_secret_file.empty() || !x.public_key_file.empty() ||
         !x.jwks_file.empty();
}

/// auth.mode with "auto" resolved: jwt when a key source is configured,
/// else none. Never returns auth_mode::automatic.
inline auth_mode effective_auth_mode(const daemon_config& cfg) {
  if (cfg.auth.mode != auth_mode::automatic) {
    return cfg.auth.mode;
  }
  return has_auth_key(cfg.auth) ? auth_mode::jwt : auth_mode::none;
}

} // namespace ds::config
