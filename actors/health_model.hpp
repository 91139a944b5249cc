#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/circuit_breaker.hpp"

namespace ds::actors {

/// /health's status (contract §5.1), most severe first in evaluate().
enum class health_status : uint8_t { healthy, degraded, reconnecting, waiting };

std::string_view to_string(health_status x) noexcept;

/// Where the Kafka consumer stands, as its owner last reported.
enum class kafka_state : uint8_t {
  /// Started, but no partitions assigned yet.
  waiting_for_assignment,
  connected,
  /// The client lost the brokers and is reconnecting.
  reconnecting,
};

std::string_view to_string(kafka_state x) noexcept;

/// Defaults as config::health_settings.
struct health_config {
  uint32_t window_secs = 120;
  /// Messages the window must hold before its decode-error ratio counts.
  uint64_t min_samples = 100;
  double decode_error_ratio_degraded = 0.05;
  /// An infrastructure error less than this long ago means degraded.
  uint32_t infra_error_recent_secs = 60;
};

/// One evaluation of the health model; to_json() is the /health body.
struct health_report {
  health_status status = health_status::healthy;
  /// Every condition that holds, not only the one that set the status.
  std::vector<std::string> reasons;

  uint32_t window_secs = 0;
  uint64_t min_samples = 0;
  uint64_t window_messages = 0; // decoded + failed to decode
  uint64_t window_decode_errors = 0;
  uint64_t window_infra_errors = 0;
  /// window_decode_errors / window_messages; 0 when there were none.
  double decode_error_ratio = 0;
  double messages_per_second = 0;
  std::optional<double> seconds_since_last_infra_error;

  /// Since start; informational only, never used to decide the status.
  uint64_t messages_total = 0;
  uint64_t decode_errors_total = 0;
  uint64_t infra_errors_total = 0;

  kafka_state kafka = kafka_state::waiting_for_assignment;
  breaker_state breaker = breaker_state::closed;
  /// The client half's state: the /health handler (app/daemon.cpp)
  /// sets it from the WebSocket actors ("serving" / "restarting").
  std::string websocket_status = "disabled";

  /// 200 for healthy and degraded (serving), 503 for reconnecting and
  /// waiting (not serving live data).
  unsigned http_status() const noexcept;

  /// {status, reasons, metrics{...}, kafka_status, websocket_status,
  /// alert?, circuit_breaker} — contract §5.1's shape plus `reasons`.
  /// Counts are decimal strings (they may exceed 2^53); ratios, rates and
  /// seconds are numbers. `alert` (the reasons joined) is present only
  /// when the status is not healthy.
  nlohmann::json to_json() const;
};

/// Computes /health from sliding windows (contract §5.1, §8.10: never from
/// lifetime counters, so a service that recovers reads healthy again once
/// the bad period has left the window).
///
/// Memory is O(window): a ring of window_secs one-second buckets, each
/// holding the counts recorded in that second; a bucket is reused (reset)
/// when its second comes round again. The window at `now` is the current
/// second plus the window_secs - 1 before it, so a sample recorded at
/// second s counts until now reaches second s + window_secs. Samples older
/// than the ring are dropped. Time only moves forward: evaluate() at a
/// `now` earlier than the latest recorded sample sees a partial window.
///
/// Owned by one actor's state; not thread-safe. That actor publishes
/// evaluate()'s report as the snapshot the /health handler serves.
class health_model {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  explicit health_model(health_config cfg = {});

  /// `ok` messages decoded and `decode_errors` that did not, at `now`.
  void record_messages(time_point now, uint64_t ok, uint64_t decode_errors);

  /// An infrastructure error (the same ones the circuit breaker counts).
  void record_infra_error(time_point now);

  void set_kafka_state(kafka_state x) noexcept { kafka_ = x; }

  /// The status at `now`. Most severe first: reconnecting (breaker open or
  /// half_open, or Kafka reconnecting), waiting (no partitions assigned
  /// yet), degraded (decode-error ratio >= threshold over a window holding
  /// at least min_samples messages; an infrastructure error within
  /// infra_error_recent_secs; or any of `extra_reasons`, e.g. "dlq spool
  /// full", which the caller passes for conditions that hold right now),
  /// else healthy.
  health_report evaluate(time_point now, breaker_state breaker,
                         std::span<const std::string> extra_reasons = {}) const;

  const health_config& config() const noexcept { return cfg_; }

private:
  struct bucket {
    int64_t second = INT64_MIN; // which second it holds; MIN = never used
    uint64_t ok = 0;
    uint64_t decode_errors = 0;
    uint64_t infra_errors = 0;
  };

  /// The bucket for `now`'s second, or null if that second is too old.
  bucket* bucket_at(time_point now);

  health_config cfg_;
  std::vector<bucket> ring_;
  kafka_state kafka_ = kafka_state::waiting_for_assignment;
  std::optional<time_point> last_infra_error_;
  std::optional<int64_t> first_second_;
  uint64_t messages_total_ = 0;
  uint64_t decode_errors_total_ = 0;
  uint64_t infra_errors_total_ = 0;
};

} // namespace ds::actors
