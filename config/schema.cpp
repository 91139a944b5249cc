#include "config/schema.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <type_traits>
#include <utility>

namespace ds::config {

namespace {

// -- binding a row to its field -------------------------------------------

template<auto Section, auto Member>
binding bind() {
  using section_type =
    std::remove_cvref_t<decltype(std::declval<daemon_config&>().*Section)>;
  using field_type =
    std::remove_cvref_t<decltype(std::declval<section_type&>().*Member)>;
  binding result;
  result.get = [](const daemon_config& cfg) -> setting_value {
    const auto& field = cfg.*Section.*Member;
    if constexpr (std::is_same_v<field_type, bool>) {
      return field;
    } else if constexpr (std::is_enum_v<field_type>) {
      return std::string{to_string(field)};
    } else if constexpr (std::is_integral_v<field_type>) {
      return static_cast<int64_t>(field);
    } else {
      return field;
    }
  };
  result.set = [](daemon_config& cfg, const setting_value& value) {
    auto& field = cfg.*Section.*Member;
    if constexpr (std::is_same_v<field_type, bool>) {
      field = std::get<bool>(value);
    } else if constexpr (std::is_enum_v<field_type>) {
      auto names = choice_names(field_type{});
      auto i =
        std::find(names.begin(), names.end(), std::get<std::string>(value));
      field = static_cast<field_type>(i - names.begin());
    } else if constexpr (std::is_integral_v<field_type>) {
      field = static_cast<field_type>(std::get<int64_t>(value));
    } else {
      field = std::get<field_type>(value);
    }
  };
  if constexpr (std::is_enum_v<field_type>) {
    result.choices = choice_names(field_type{});
  }
  return result;
}

// The key is spelled once: the macro derives both the "section.name" string
// and the member pointers from it, so a row cannot point at the wrong field.
#define DS_KEY(section, name)                                                  \
  .key = #section "." #name,                                                   \
  .access =                                                                    \
    bind<&daemon_config::section, &decltype(daemon_config::section)::name>()

// -- string rules -----------------------------------------------------------

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool is_topic_name(std::string_view x) noexcept {
  // Kafka's own rule (kafka.common.internals.Topic).
  return !x.empty() && x.size() <= 249 && x != "." && x != ".." &&
         std::all_of(x.begin(), x.end(), is_name_char);
}

constexpr std::array<std::string_view, 5> sasl_mechanisms{
  "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"};

const string_rule non_empty{
  "a non-empty string",
  [](std::string_view x) { return !x.empty(); },
};

const string_rule topic_name{
  "a Kafka topic name: 1-249 characters of [A-Za-z0-9._-], not \".\" or "
  "\"..\"",
  is_topic_name,
};

const string_rule topic_name_or_empty{
  "\"\" or a Kafka topic name: 1-249 characters of [A-Za-z0-9._-], not "
  "\".\" or \"..\"",
  [](std::string_view x) { return x.empty() || is_topic_name(x); },
};

const string_rule tenant_filter{
  // The producer's tenant rule (contract §2), so a filter can match.
  "\"\" or 1-64 characters of [A-Za-z0-9._-]",
  [](std::string_view x) {
    return x.size() <= 64 && std::all_of(x.begin(), x.end(), is_name_char);
  },
};

const string_rule sasl_mechanism{
  "\"\" or one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI, OAUTHBEARER",
  [](std::string_view x) {
    return x.empty() ||
           std::find(sasl_mechanisms.begin(), sasl_mechanisms.end(), x) !=
             sasl_mechanisms.end();
  },
};

constexpr std::array<std::string_view, 6> sampler_names{
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"};

const string_rule sampler_name{
  // OTEL_TRACES_SAMPLER's values that need no remote configuration.
  "one of always_on, always_off, traceidratio, parentbased_always_on, "
  "parentbased_always_off, parentbased_traceidratio",
  [](std::string_view x) {
    return std::find(sampler_names.begin(), sampler_names.end(), x) !=
           sampler_names.end();
  },
};

const string_rule otlp_endpoint{
  "\"\" or http://host:port[/prefix] (OTLP/HTTP; spans go to "
  "<prefix>/v1/traces)",
  [](std::string_view x) {
    if (x.empty()) {
      return true;
    }
    constexpr std::string_view scheme = "http://";
    if (!x.starts_with(scheme)) {
      return false;
    }
    auto authority = x.substr(scheme.size());
    authority = authority.substr(0, authority.find('/'));
    auto colon = authority.rfind(':');
    if (colon == std::string_view::npos || colon == 0 ||
        colon + 1 == authority.size() || colon + 6 < authority.size()) {
      return false;
    }
    return std::all_of(authority.begin() + static_cast<long>(colon) + 1,
                       authority.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  },
};

const string_rule resource_attributes{
  // OTEL_RESOURCE_ATTRIBUTES; percent-decoding is checked at startup.
  "\"\" or key=value pairs separated by commas",
  [](std::string_view x) {
    while (!x.empty()) {
      auto comma = x.find(',');
      auto entry = x.substr(0, comma);
      x = comma == std::string_view::npos ? std::string_view{}
                                          : x.substr(comma + 1);
      if (entry.find_first_not_of(" \t") == std::string_view::npos) {
        continue;
      }
      auto eq = entry.find('=');
      if (eq == std::string_view::npos || entry.substr(0, eq).find_first_not_of(
                                            " \t") == std::string_view::npos) {
        return false;
      }
    }
    return true;
  },
};

constexpr int64_t kib = int64_t{1} << 10;
constexpr int64_t mib = int64_t{1} << 20;
constexpr int64_t gib = int64_t{1} << 30;
constexpr int64_t tib = int64_t{1} << 40;

constexpr std::array<std::string_view, 13> section_names{
  "kafka",   "pipeline", "validation",  "http", "auth",
  "health",  "breaker",  "supervision", "dlq",  "replay",
  "tracing", "quality",  "log",
};

// -- the table ------------------------------------------------------------
//
// Order is the order of the example file, the reference and print
// --effective. kafka.properties stays last in [kafka]: printed as a
// subtable, it must follow the section's plain keys.

std::vector<setting> make_table() {
  using str = std::string;
  return {
    // [kafka]
    {
      DS_KEY(kafka, brokers),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = the embedded mock broker",
      .legacy_env = {"KAFKA_BROKERS"},
      .description = "Comma-separated bootstrap servers (host:port); \"\" "
                     "starts the embedded mock broker for demos and tests.",
    },
    {
      DS_KEY(kafka, topic),
      .kind = value_kind::string,
      .default_value = str{"dashstream-quality"},
      .rule = topic_name,
      .legacy_env = {"KAFKA_TOPIC"},
      .description = "Topic the daemon consumes DashStream v1 records from.",
    },
    {
      DS_KEY(kafka, group_id),
      .kind = value_kind::string,
      .default_value = str{"dashstream"},
      .rule = non_empty,
      .legacy_env = {"KAFKA_GROUP_ID"},
      .description = "Consumer group id. The old server's default was "
                     "\"websocket-server-v4\"; set that only to take over "
                     "that group's committed offsets.",
    },
    {
      DS_KEY(kafka, auto_offset_reset),
      .kind = value_kind::choice,
      .default_value = str{"earliest"},
      .legacy_env = {"KAFKA_AUTO_OFFSET_RESET"},
      .description = "Where the group starts reading a partition that has no "
                     "committed offset.",
    },
    {
      DS_KEY(kafka, decode_mode),
      .kind = value_kind::choice,
      .default_value = str{"compatible"},
      .description = "Record decoding (contract §1.3): compatible also accepts "
                     "bare zstd and legacy unframed protobuf; strict accepts "
                     "only framed records.",
    },
    {
      DS_KEY(kafka, on_decode_error),
      .kind = value_kind::choice,
      .default_value = str{"skip"},
      .legacy_env = {"KAFKA_ON_DECODE_ERROR"},
      .description = "A record that fails to decode goes to the DLQ; then "
                     "skip moves on, pause stops its partition there until "
                     "it is reassigned or the daemon restarts.",
    },
    {
      DS_KEY(kafka, security_protocol),
      .kind = value_kind::choice,
      .default_value = str{"plaintext"},
      .legacy_env = {"KAFKA_SECURITY_PROTOCOL"},
      .description = "librdkafka security.protocol for every Kafka client.",
    },
    {
      DS_KEY(kafka, sasl_mechanism),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = librdkafka's default",
      .rule = sasl_mechanism,
      .legacy_env = {"KAFKA_SASL_MECHANISM"},
      .description = "librdkafka sasl.mechanisms, used with the sasl_* "
                     "security protocols.",
    },
    {
      DS_KEY(kafka, sasl_username),
      .kind = value_kind::string,
      .default_value = str{},
      .legacy_env = {"KAFKA_SASL_USERNAME"},
      .description = "SASL username (sasl.username).",
    },
    {
      DS_KEY(kafka, sasl_password),
      .kind = value_kind::string,
      .default_value = str{},
      .legacy_env = {"KAFKA_SASL_PASSWORD"},
      .secret = true,
      .description = "SASL password (sasl.password); prefer the environment "
                     "over the file.",
    },
    {
      DS_KEY(kafka, ssl_ca_location),
      .kind = value_kind::string,
      .default_value = str{},
      .legacy_env = {"KAFKA_SSL_CA_LOCATION"},
      .description = "Path of the CA certificates that verify the brokers "
                     "(ssl.ca.location).",
    },
    {
      DS_KEY(kafka, ssl_certificate_location),
      .kind = value_kind::string,
      .default_value = str{},
      .legacy_env = {"KAFKA_SSL_CERTIFICATE_LOCATION"},
      .description = "Path of the client certificate "
                     "(ssl.certificate.location).",
    },
    {
      DS_KEY(kafka, ssl_key_location),
      .kind = value_kind::string,
      .default_value = str{},
      .legacy_env = {"KAFKA_SSL_KEY_LOCATION"},
      .description = "Path of the client private key (ssl.key.location).",
    },
    {
      DS_KEY(kafka, tenant_id),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = every tenant",
      .rule = tenant_filter,
      .legacy_env = {"KAFKA_TENANT_ID"},
      .description = "Only validate and publish records whose header "
                     "carries this tenant_id; the others are counted "
                     "(dashstream_records_filtered_total) and committed.",
    },
    {
      DS_KEY(kafka, session_timeout_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{45'000},
      .min = 1'000,
      .max = 3'600'000,
      .description = "Consumer group session timeout in milliseconds "
                     "(session.timeout.ms).",
    },
    {
      DS_KEY(kafka, max_payload_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{10 * mib},
      .min = kib,
      .max = 256 * mib,
      .legacy_env = {"WEBSOCKET_MAX_PAYLOAD_BYTES"},
      .description = "Largest decoded or decompressed record accepted "
                     "(contract §1.3); larger ones are payload_too_large.",
    },
    {
      DS_KEY(kafka, lag_check_interval_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{10},
      .min = 1,
      .max = 3'600,
      .legacy_env = {"KAFKA_LAG_CHECK_INTERVAL_SECS"},
      .description = "How often consumer lag and offset age are sampled.",
    },
    {
      DS_KEY(kafka, watermark_timeout_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{5'000},
      .min = 1,
      .max = 60'000,
      .description =
        "How long a newly assigned partition waits for the broker's high "
        "watermark: records below it are backlog (not observed as latency). "
        "Without an answer in time, every record counts as live.",
    },
    {
      DS_KEY(kafka, properties),
      .kind = value_kind::string_map,
      .default_value = string_map{},
      .description = "Raw librdkafka properties passed verbatim to every "
                     "client; values are strings.",
    },

    // [pipeline]
    {
      DS_KEY(pipeline, validators),
      .kind = value_kind::integer,
      .default_value = int64_t{4},
      .min = 1,
      .max = 1'024,
      .description = "Number of sequence-validator actors; threads are spread "
                     "over them by a hash of thread_id.",
    },
    {
      DS_KEY(pipeline, scheduler_threads),
      .kind = value_kind::integer,
      .default_value = int64_t{0},
      .default_note = "0 = one per CPU core",
      .min = 0,
      .max = 256,
      .description = "Worker threads of the actor scheduler.",
    },
    {
      DS_KEY(pipeline, partition_inflight_max),
      .kind = value_kind::integer,
      .default_value = int64_t{30'000},
      .min = 2,
      .max = 10'000'000,
      .description = "Records in flight per partition before the partition "
                     "is paused (backpressure high-water mark).",
    },
    {
      DS_KEY(pipeline, partition_inflight_low_water),
      .kind = value_kind::integer,
      .default_value = int64_t{15'000},
      .default_note = "half of pipeline.partition_inflight_max when unset",
      .min = 1,
      .max = 9'999'999,
      .description = "A paused partition resumes when fewer records than this "
                     "are in flight; must be below partition_inflight_max.",
    },
    {
      DS_KEY(pipeline, memory_budget_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{2 * gib},
      // Twice the process's fixed cost (app::memory_budget_min; a test
      // keeps the two equal).
      .min = 96 * mib,
      .max = tib,
      .description =
        "The process's peak RSS limit. 48 MiB of it is the process's fixed "
        "cost; of the rest, a quarter bounds the records held from poll to "
        "commit (partitions pause there), a quarter librdkafka's prefetch "
        "queue, an eighth one fetch, an eighth the free pages the allocator "
        "may keep, and a quarter is its slack; "
        "docs/tuning.md.",
    },
    {
      DS_KEY(pipeline, dispatch_window_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{32 * mib},
      .default_note = "0 = no window",
      .min = 0,
      .max = tib,
      .description =
        "The consumer polls no more records while the pipeline holds this "
        "many bytes of polled, unfinished records (rejected ones with their "
        "DLQ record); librdkafka's prefetch keeps the rest. Takes effect "
        "below the in-flight limit that memory_budget_bytes sets; "
        "docs/tuning.md.",
    },
    {
      DS_KEY(pipeline, dispatch_window_poll_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{100},
      .min = 1,
      .max = 60'000,
      .description =
        "While the dispatch window is full the consumer still polls this "
        "often, so that group events are served and a stuck pipeline meets "
        "the partition pauses.",
    },
    {
      DS_KEY(pipeline, shutdown_timeout_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{10},
      .min = 1,
      .max = 3'600,
      .description = "How long a graceful stop may spend draining and "
                     "committing before the daemon exits anyway.",
    },

    // [validation]
    {
      DS_KEY(validation, policy),
      .kind = value_kind::choice,
      .default_value = str{"warn_and_continue"},
      .description = "What a sequence gap does (contract §3): "
                     "warn_and_continue logs and moves on, continue moves on "
                     "silently, halt quarantines the thread until reset.",
    },
    {
      DS_KEY(validation, max_tracked_threads),
      .kind = value_kind::integer,
      .default_value = int64_t{100'000},
      .min = 1,
      .max = 100'000'000,
      .description = "Threads whose sequence state is kept; beyond this the "
                     "least recently seen thread is forgotten.",
    },
    {
      DS_KEY(validation, max_thread_id_bytes),
      .kind = value_kind::integer,
      .default_value = int64_t{256},
      .min = 32,
      .max = 65'536,
      .description = "Longer thread ids are shortened to a prefix plus a hash "
                     "before they are tracked.",
    },

    // [http]
    {
      DS_KEY(http, host),
      .kind = value_kind::string,
      .default_value = str{"127.0.0.1"},
      .rule = non_empty,
      .legacy_env = {"WEBSOCKET_HOST"},
      .description = "Address the HTTP and WebSocket server binds to.",
    },
    {
      DS_KEY(http, port),
      .kind = value_kind::integer,
      .default_value = int64_t{3'002},
      .default_note = "0 = a free port",
      .min = 0,
      .max = 65'535,
      .legacy_env = {"WEBSOCKET_PORT"},
      .description = "Port of the HTTP and WebSocket server.",
    },
    {
      DS_KEY(http, max_connections_per_ip),
      .kind = value_kind::integer,
      .default_value = int64_t{10},
      .min = 1,
      .max = 100'000,
      .legacy_env = {"WEBSOCKET_MAX_CONNECTIONS_PER_IP"},
      .description = "Concurrent connections per client IP; more are refused "
                     "with HTTP 429.",
    },
    {
      DS_KEY(http, send_timeout_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{5},
      .min = 1,
      .max = 600,
      .legacy_env = {"WEBSOCKET_SEND_TIMEOUT_SECS"},
      .description = "Timeout of each send to a client; a client that cannot "
                     "take a frame in time is dropped.",
    },
    {
      DS_KEY(http, ws_max_message_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{mib},
      .min = kib,
      .max = 64 * mib,
      .description =
        "Largest message a WebSocket client may send (contract §5.3); a "
        "larger one gets error CONTROL_FRAME_TOO_LARGE and the connection "
        "closes.",
    },
    {
      DS_KEY(http, ws_queue_max_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{8 * mib},
      .min = 64 * kib,
      .max = gib,
      .description = "Bytes queued for one WebSocket client beyond which it "
                     "is disconnected for backpressure.",
    },
    {
      DS_KEY(http, ws_max_connections_per_tenant),
      .kind = value_kind::integer,
      .default_value = int64_t{1'000},
      .min = 1,
      .max = 1'000'000,
      .description =
        "Concurrent WebSocket clients of one tenant (counted per daemon); the "
        "next upgrade gets HTTP 429. Admin tokens and auth.mode = none count "
        "as one tenant.",
    },
    {
      DS_KEY(http, ui_dir),
      .kind = value_kind::string,
      .default_value = str{""},
      .default_note = "\"\" = the UI this build was made with",
      .description =
        "Directory of the built browser UI (ui/dist), served at /. Empty: "
        "<prefix>/share/dashstream/ui beside an installed binary (the "
        "package, the image), else the ui/dist this build names. Without a "
        "built UI, / says so and everything else still works.",
    },
    {
      DS_KEY(http, stats_interval_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{1'000},
      .min = 100,
      .max = 60'000,
      .description = "How often /api/stats samples the metrics for the UI's "
                     "overview (one sample serves every open page).",
    },
    {
      DS_KEY(http, stats_history_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{300},
      .min = 10,
      .max = 3'600,
      .description = "How much /api/stats history the daemon keeps: a page "
                     "opened now draws this many seconds before it.",
    },

    // [auth]
    {
      DS_KEY(auth, mode),
      .kind = value_kind::choice,
      .default_value = str{"auto"},
      .description =
        "How WebSocket clients authenticate. jwt: a token is required "
        "(Authorization: Bearer, or ?token= for browsers) and its tenant "
        "claim decides what the client sees. none: no token, every client "
        "sees every tenant; refused at startup (exit 78) unless http.host is "
        "a loopback address. auto: jwt when a key is configured, else none.",
    },
    {
      DS_KEY(auth, hs256_secret_file),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = no HS256 secret",
      .description =
        "File holding the HS256 shared secret (its bytes, one trailing "
        "newline ignored). Tokens must be signed HS256 with it.",
    },
    {
      DS_KEY(auth, public_key_file),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = no public key",
      .description = "PEM public key (RSA or EC P-256) that tokens are "
                     "verified with, using auth.jwt_algorithm.",
    },
    {
      DS_KEY(auth, jwt_algorithm),
      .kind = value_kind::choice,
      .default_value = str{"RS256"},
      .description =
        "The one algorithm accepted with auth.public_key_file (a key is never "
        "accepted with two algorithms: cpp-jwt#102).",
    },
    {
      DS_KEY(auth, jwks_file),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = no JWKS",
      .description =
        "JWKS file (JSON Web Key Set) of RSA and EC P-256 keys; a token's kid "
        "picks the key, whose kty (or alg) fixes its one algorithm. Reloaded "
        "on SIGHUP, like the other key files.",
    },
    {
      DS_KEY(auth, tenant_claim),
      .kind = value_kind::string,
      .default_value = str{"tenant_id"},
      .rule = non_empty,
      .description = "Claim that holds the client's tenant.",
    },
    {
      DS_KEY(auth, admin_claim),
      .kind = value_kind::string,
      .default_value = str{},
      .description = "Claim that, when true, lets a client see every tenant "
                     "(\"\": no admin tokens).",
    },
    {
      DS_KEY(auth, leeway_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{30},
      .min = 0,
      .max = 3'600,
      .description = "Clock skew allowed when checking exp and nbf.",
    },

    // [health]
    {
      DS_KEY(health, window_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{120},
      .min = 1,
      .max = 86'400,
      .description = "Window over which /health computes error rates.",
    },
    {
      DS_KEY(health, min_samples),
      .kind = value_kind::integer,
      .default_value = int64_t{100},
      .min = 1,
      .max = 10'000'000,
      .description = "Messages a window needs before its error rate counts.",
    },
    {
      DS_KEY(health, decode_error_ratio_degraded),
      .kind = value_kind::real,
      .default_value = 0.05,
      .min_real = 0.0,
      .max_real = 1.0,
      .description = "Decode-error ratio within the window above which "
                     "/health reports degraded.",
    },
    {
      DS_KEY(health, infra_error_recent_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{60},
      .min = 1,
      .max = 86'400,
      .description = "An infrastructure error more recent than this keeps "
                     "/health degraded.",
    },

    // [breaker]
    {
      DS_KEY(breaker, failure_threshold),
      .kind = value_kind::integer,
      .default_value = int64_t{5},
      .min = 1,
      .max = 1'000,
      .description = "Consecutive infrastructure errors that open the "
                     "circuit breaker; an idle topic is not an error.",
    },
    {
      DS_KEY(breaker, open_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{10},
      .min = 1,
      .max = 3'600,
      .description = "How long the breaker stays open before it lets probes "
                     "through.",
    },
    {
      DS_KEY(breaker, half_open_probes),
      .kind = value_kind::integer,
      .default_value = int64_t{1},
      .min = 1,
      .max = 100,
      .description = "Successful probes in the half-open state that close "
                     "the breaker.",
    },

    // [supervision]
    {
      DS_KEY(supervision, max_restarts),
      .kind = value_kind::integer,
      .default_value = int64_t{5},
      .default_note = "0 = escalate at the first failure",
      .min = 0,
      .max = 1'000,
      .description = "Restarts of a child within within_secs before its "
                     "supervisor gives up and escalates.",
    },
    {
      DS_KEY(supervision, within_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{60},
      .min = 1,
      .max = 86'400,
      .description = "Window in which max_restarts is counted.",
    },
    {
      DS_KEY(supervision, backoff_initial_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{100},
      .min = 1,
      .max = 600'000,
      .description = "Delay before the first restart; it doubles with each "
                     "restart up to backoff_max_ms.",
    },
    {
      DS_KEY(supervision, backoff_max_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{10'000},
      .min = 1,
      .max = 600'000,
      .description = "Longest delay between restarts; at least "
                     "backoff_initial_ms.",
    },

    // [dlq]
    {
      DS_KEY(dlq, topic),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = kafka.topic + \"-dlq\"",
      .rule = topic_name_or_empty,
      .legacy_env = {"KAFKA_DLQ_TOPIC"},
      .description = "Dead-letter topic for records that fail decoding or "
                     "validation; must differ from kafka.topic.",
    },
    {
      DS_KEY(dlq, max_inflight),
      .kind = value_kind::integer,
      .default_value = int64_t{100},
      .min = 1,
      .max = 100'000,
      .legacy_env = {"MAX_CONCURRENT_DLQ_SENDS"},
      .description = "DLQ writes in flight at once; beyond this the source "
                     "partition waits.",
    },
    {
      DS_KEY(dlq, send_timeout_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{5},
      .min = 1,
      .max = 600,
      .legacy_env = {"DLQ_SEND_TIMEOUT_SECS"},
      .description = "Timeout of one DLQ write.",
    },
    {
      DS_KEY(dlq, include_payload),
      .kind = value_kind::boolean,
      .default_value = false,
      .legacy_env = {"DLQ_INCLUDE_FULL_PAYLOAD"},
      .description = "Embed the original record (base64) in DLQ records; off "
                     "by default because payloads can hold secrets.",
    },
    {
      DS_KEY(dlq, payload_truncate_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{512 * kib},
      .min = kib,
      .max = 64 * mib,
      .description = "Largest payload embedded in a DLQ record when "
                     "include_payload is on; longer ones are truncated.",
    },
    {
      DS_KEY(dlq, spool_dir),
      .kind = value_kind::string,
      .default_value = str{"./dashstream-spool"},
      .rule = non_empty,
      .description = "Directory where DLQ records wait while Kafka cannot "
                     "take them.",
    },
    {
      DS_KEY(dlq, spool_budget_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{gib},
      .min = mib,
      .max = 16 * tib,
      .description = "Disk space the spool may use; consumption pauses when "
                     "it is full.",
    },
    {
      DS_KEY(dlq, spool_segment_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{64 * mib},
      .min = 4 * kib,
      .max = gib,
      .description = "Size at which a spool segment file is sealed and a new "
                     "one started; fully drained segments are deleted.",
    },
    {
      DS_KEY(dlq, spool_fsync_batch),
      .kind = value_kind::integer,
      .default_value = int64_t{1'024},
      .min = 1,
      .max = 4'096,
      .description = "Most spool appends that share one fsync (group "
                     "commit); 1 = one fsync per record.",
    },
    {
      DS_KEY(dlq, spool_direct_io),
      .kind = value_kind::boolean,
      .default_value = true,
      .description =
        "Write spool segments with O_DIRECT, skipping the kernel's copy into "
        "the page cache; each fsync batch is then padded to a 4 KiB boundary. "
        "Filesystems without O_DIRECT (ramfs; tmpfs before Linux 6.6) get "
        "buffered writes anyway.",
    },
    {
      DS_KEY(dlq, drain_interval_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{1'000},
      .min = 10,
      .max = 600'000,
      .description = "How often spooled DLQ records are retried against "
                     "Kafka while it is unavailable.",
    },
    {
      DS_KEY(dlq, poison_max_crashes),
      .kind = value_kind::integer,
      .default_value = int64_t{3},
      .min = 1,
      .max = 1'000,
      .description = "Crashes of a validator or of a partition reader on "
                     "the same record before it is quarantined to the DLQ "
                     "with error_type=poison.",
    },
    {
      DS_KEY(dlq, recent_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{mib},
      .min = 0,
      .max = 64 * mib,
      .description =
        "Memory for the most recent DLQ records that the UI's DLQ view "
        "(GET /api/dlq) lists; the oldest leave first. 0 = the view is "
        "empty. `dashstream dlq inspect` reads the whole DLQ topic.",
    },

    // [replay]
    {
      DS_KEY(replay, timeout_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{30},
      .min = 1,
      .max = 3'600,
      .legacy_env = {"REPLAY_TIMEOUT_SECS"},
      .description = "Longest a client's resume may take; past it the "
                     "client gets error REPLAY_TIMEOUT and is closed.",
    },
    {
      DS_KEY(replay, max_total),
      .kind = value_kind::integer,
      .default_value = int64_t{10'000},
      .min = 1,
      .max = 10'000'000,
      .legacy_env = {"REPLAY_MAX_TOTAL"},
      .description =
        "Records one resume replays before replay_complete reports "
        "capped:true (the client resumes again for the rest); also the most "
        "live records a session holds while its replay is paged.",
    },
    {
      DS_KEY(replay, slow_client_threshold),
      .kind = value_kind::integer,
      .default_value = int64_t{1'000},
      .min = 1,
      .max = 10'000'000,
      .legacy_env = {"SLOW_CLIENT_DISCONNECT_THRESHOLD"},
      .description =
        "Records queued for a client and not yet written at which it gets "
        "disconnect{reason:backpressure} and is closed (contract §5.4).",
    },
    {
      DS_KEY(replay, slow_client_window_secs),
      .kind = value_kind::integer,
      .default_value = int64_t{60},
      .min = 1,
      .max = 3'600,
      .legacy_env = {"SLOW_CLIENT_LAG_WINDOW_SECS"},
      .description = "A client whose queue never empties for this long is "
                     "disconnected the same way.",
    },
    {
      DS_KEY(replay, ring_bytes),
      .kind = value_kind::size,
      .default_value = int64_t{64 * mib},
      .min = mib,
      .max = 64 * gib,
      .description =
        "Bytes of recently forwarded records every daemon keeps in memory, "
        "across all partitions, for resumes; older offsets are read back "
        "from Kafka, and only what Kafka no longer retains gets "
        "cursor_stale. Counted in pipeline.memory_budget_bytes: the ring "
        "gets this or an eighth of the budget after the fixed cost, "
        "whichever is smaller.",
    },
    {
      DS_KEY(replay, mirror_poll_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{100},
      .min = 10,
      .max = 10'000,
      .description =
        "With several daemons in one consumer group, each reads the "
        "partitions the others validate (outside the group, never "
        "committing) so that its clients see every record of their tenant. "
        "This is how often it looks at the group's assignment, and the "
        "longest one read waits: those records reach its clients up to "
        "this much later than the validating daemon's.",
    },
    {
      DS_KEY(replay, mirror_batch_records),
      .kind = value_kind::integer,
      .default_value = int64_t{2'000},
      .min = 1,
      .max = 1'000'000,
      .description =
        "Records of other daemons' partitions read at a time; the next "
        "read waits until the fan-out has taken them, so this bounds what "
        "the reading holds.",
    },

    // [tracing]
    {
      DS_KEY(tracing, endpoint),
      .kind = value_kind::string,
      .default_value = str{},
      .default_note = "\"\" = tracing off",
      .rule = otlp_endpoint,
      .legacy_env = {"OTEL_EXPORTER_OTLP_ENDPOINT"},
      .description =
        "OTLP/HTTP collector (Jaeger, an OpenTelemetry Collector) that gets "
        "the spans of sampled records, continuing each record's "
        "traceparent (docs/tracing.md).",
    },
    {
      DS_KEY(tracing, service_name),
      .kind = value_kind::string,
      .default_value = str{"dashstream"},
      .rule = non_empty,
      .legacy_env = {"OTEL_SERVICE_NAME"},
      .description = "The spans' service.name resource attribute.",
    },
    {
      DS_KEY(tracing, sampler),
      .kind = value_kind::string,
      .default_value = str{"parentbased_always_on"},
      .rule = sampler_name,
      .legacy_env = {"OTEL_TRACES_SAMPLER"},
      .description =
        "Which records are traced. parentbased_* follow the producer's "
        "sampled flag in the record's traceparent and use the named sampler "
        "for records without one; traceidratio samples tracing.sampler_arg "
        "of all traces.",
    },
    {
      DS_KEY(tracing, sampler_arg),
      .kind = value_kind::real,
      .default_value = 1.0,
      .min_real = 0.0,
      .max_real = 1.0,
      .legacy_env = {"OTEL_TRACES_SAMPLER_ARG"},
      .description = "The ratio of the *traceidratio samplers.",
    },
    {
      DS_KEY(tracing, resource_attributes),
      .kind = value_kind::string,
      .default_value = str{},
      .rule = resource_attributes,
      .legacy_env = {"OTEL_RESOURCE_ATTRIBUTES"},
      .description = "More resource attributes for every span, "
                     "key=value,key=value (values percent-encoded).",
    },
    {
      DS_KEY(tracing, queue_max_spans),
      .kind = value_kind::integer,
      .default_value = int64_t{2048},
      .min = 1,
      .max = 1'000'000,
      .legacy_env = {"OTEL_BSP_MAX_QUEUE_SIZE"},
      .description = "Finished spans waiting for export; beyond it spans "
                     "are dropped and counted "
                     "(dashstream_trace_spans_dropped_total), never waited "
                     "for.",
    },
    {
      DS_KEY(tracing, batch_max_spans),
      .kind = value_kind::integer,
      .default_value = int64_t{512},
      .default_note = "or tracing.queue_max_spans when that is less",
      .min = 1,
      .max = 65'536,
      .legacy_env = {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE"},
      .description = "Spans per export request.",
    },
    {
      DS_KEY(tracing, batch_interval_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{1'000},
      .min = 10,
      .max = 60'000,
      .legacy_env = {"OTEL_BSP_SCHEDULE_DELAY"},
      .description = "A batch leaves when full or this long after the last.",
    },
    {
      DS_KEY(tracing, export_timeout_ms),
      .kind = value_kind::integer,
      .default_value = int64_t{5'000},
      .min = 100,
      .max = 60'000,
      .legacy_env = {"OTEL_EXPORTER_OTLP_TIMEOUT"},
      .description = "Bound of one export request, connect to response; a "
                     "batch that fails is dropped and counted.",
    },

    // [quality]
    {
      DS_KEY(quality, enabled),
      .kind = value_kind::boolean,
      .default_value = true,
      .description =
        "Aggregate Metrics messages with scope \"quality\" into the "
        "dashstream_quality_* metrics (docs/quality.md): scores, pass and "
        "fail counts by model and category, latency, retries, turns. Off: "
        "the aggregator is not started and those families are not "
        "exported.",
    },
    {
      DS_KEY(quality, max_models),
      .kind = value_kind::integer,
      .default_value = int64_t{20},
      .min = 1,
      .max = 1'000,
      .description =
        "Distinct model tags that get their own series; later models are "
        "counted under model=\"other\" and in "
        "dashstream_quality_label_overflow_total{label=\"model\"}. Bounds "
        "the series a producer can create.",
    },
    {
      DS_KEY(quality, max_categories),
      .kind = value_kind::integer,
      .default_value = int64_t{20},
      .min = 1,
      .max = 1'000,
      .description =
        "Distinct category tags that get their own series; the rest is "
        "category=\"other\", counted the same way. The queries counter has "
        "at most (max_models + 1) x (max_categories + 1) x 2 series.",
    },
    {
      DS_KEY(quality, max_tenants),
      .kind = value_kind::integer,
      .default_value = int64_t{20},
      .min = 1,
      .max = 10'000,
      .description = "Distinct tenants that get their own series in "
                     "dashstream_quality_tenant_queries_total; the rest is "
                     "tenant=\"other\", counted the same way.",
    },

    // [log]
    {
      DS_KEY(log, level),
      .kind = value_kind::choice,
      .default_value = str{"info"},
      .description = "Lowest level that is logged.",
    },

    {
      DS_KEY(log, format),
      .kind = value_kind::choice,
      .default_value = str{"json"},
      .description = "json writes one JSON object per line; text writes "
                     "lines for people.",
    },
  };
}

#undef DS_KEY

const std::vector<setting>& table() {
  static const std::vector<setting> rows = make_table();
  return rows;
}

char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `lower` must already be lowercase.
bool iequals(std::string_view x, std::string_view lower) noexcept {
  return x.size() == lower.size() &&
         std::equal(x.begin(), x.end(), lower.begin(),
                    [](char a, char b) { return ascii_lower(a) == b; });
}

} // namespace

std::string_view to_string(value_kind x) noexcept {
  switch (x) {
    case value_kind::boolean:
      return "boolean";
    case value_kind::integer:
      return "integer";
    case value_kind::size:
      return "size";
    case value_kind::real:
      return "number";
    case value_kind::string:
      return "string";
    case value_kind::choice:
      return "choice";
    case value_kind::string_map:
      return "table of strings";
  }
  return "unknown";
}

std::span<const std::string_view> sections() noexcept {
  return section_names;
}

std::span<const setting> settings() noexcept {
  return table();
}

const setting* find_setting(std::string_view key) noexcept {
  const auto& rows = table();
  auto i = std::find_if(rows.begin(), rows.end(),
                        [key](const setting& s) { return s.key == key; });
  return i == rows.end() ? nullptr : &*i;
}

std::string env_name(const setting& s) {
  std::string result = "DASHSTREAM_";
  for (char c : s.key) {
    result += c == '.'
                ? '_'
                : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return result;
}

std::vector<std::string> env_names(const setting& s) {
  std::vector<std::string> result{env_name(s)};
  result.insert(result.end(), s.legacy_env.begin(), s.legacy_env.end());
  return result;
}

std::string allowed_text(const setting& s) {
  switch (s.kind) {
    case value_kind::boolean:
      return "true or false";
    case value_kind::integer:
      return "an integer from " + std::to_string(s.min) + " to " +
             std::to_string(s.max);
    case value_kind::size:
      return "a size from " + format_size(s.min) + " to " + format_size(s.max) +
             " (bytes, or a string with a unit: B, KiB, MiB, GiB, TiB)";
    case value_kind::real: {
      auto num = [](double x) {
        std::array<char, 32> buf;
        auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x);
        return std::string(buf.data(), res.ptr);
      };
      return "a number from " + num(s.min_real) + " to " + num(s.max_real);
    }
    case value_kind::string:
      return s.rule.accepts ? std::string{s.rule.allowed} : "any string";
    case value_kind::choice: {
      std::string result = "one of ";
      for (size_t i = 0; i < s.access.choices.size(); ++i) {
        result += i == 0 ? "" : ", ";
        result += s.access.choices[i];
      }
      return result;
    }
    case value_kind::string_map:
      return "a table of librdkafka property names to string values";
  }
  return {};
}

bool is_secret_property(std::string_view name) noexcept {
  // Names are short; lowercase without allocating.
  auto contains = [name](std::string_view word) {
    return std::search(name.begin(), name.end(), word.begin(), word.end(),
                       [](char a, char b) { return ascii_lower(a) == b; }) !=
           name.end();
  };
  return contains("password") || contains("secret") ||
         iequals(name, "ssl.key.pem");
}

std::optional<std::string_view>
first_class_key_for_property(std::string_view name) noexcept {
  struct mapping {
    std::string_view property;
    std::string_view key;
  };
  static constexpr std::array<mapping, 13> mappings{{
    {"bootstrap.servers", "kafka.brokers"},
    {"metadata.broker.list", "kafka.brokers"},
    {"group.id", "kafka.group_id"},
    {"auto.offset.reset", "kafka.auto_offset_reset"},
    {"security.protocol", "kafka.security_protocol"},
    {"sasl.mechanism", "kafka.sasl_mechanism"},
    {"sasl.mechanisms", "kafka.sasl_mechanism"},
    {"sasl.username", "kafka.sasl_username"},
    {"sasl.password", "kafka.sasl_password"},
    {"ssl.ca.location", "kafka.ssl_ca_location"},
    {"ssl.certificate.location", "kafka.ssl_certificate_location"},
    {"ssl.key.location", "kafka.ssl_key_location"},
    {"session.timeout.ms", "kafka.session_timeout_ms"},
  }};
  for (const auto& m : mappings) {
    if (m.property == name) {
      return m.key;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> parse_size(std::string_view text) noexcept {
  auto trim = [](std::string_view x) {
    while (!x.empty() && (x.front() == ' ' || x.front() == '\t')) {
      x.remove_prefix(1);
    }
    while (!x.empty() && (x.back() == ' ' || x.back() == '\t')) {
      x.remove_suffix(1);
    }
    return x;
  };
  text = trim(text);
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    return std::nullopt;
  }
  uint64_t number = 0;
  auto [end, ec] =
    std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{}) {
    return std::nullopt;
  }
  auto unit = trim(text.substr(static_cast<size_t>(end - text.data())));
  struct unit_def {
    std::string_view name;
    int shift;
  };
  static constexpr std::array<unit_def, 6> units{{
    {"", 0},
    {"b", 0},
    {"kib", 10},
    {"mib", 20},
    {"gib", 30},
    {"tib", 40},
  }};
  for (const auto& u : units) {
    if (!iequals(unit, u.name)) {
      continue;
    }
    constexpr auto limit =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (number > (limit >> u.shift)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(number << u.shift);
  }
  return std::nullopt;
}

std::string format_size(int64_t bytes) {
  static constexpr std::array<std::pair<int, std::string_view>, 4> units{{
    {40, "TiB"},
    {30, "GiB"},
    {20, "MiB"},
    {10, "KiB"},
  }};
  if (bytes > 0) {
    for (auto [shift, name] : units) {
      auto unit = int64_t{1} << shift;
      if (bytes % unit == 0) {
        return std::to_string(bytes / unit) + std::string{name};
      }
    }
  }
  return std::to_string(bytes);
}

} // namespace ds::config
