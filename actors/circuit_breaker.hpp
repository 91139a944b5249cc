#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ds::actors {

struct circuit_breaker_probe;

/// The numeric values are those of dashstream_circuit_breaker_state.
enum class breaker_state : uint8_t { closed = 0, half_open = 1, open = 2 };

std::string_view to_string(breaker_state x) noexcept;

/// Defaults as config::breaker_settings.
struct circuit_breaker_config {
  /// Consecutive infrastructure failures that open the breaker (min 1).
  uint32_t failure_threshold = 5;
  /// How long the breaker stays open before it lets probes through.
  std::chrono::steady_clock::duration open_duration = std::chrono::seconds{10};
  /// Successes in half_open needed to close again (min 1).
  uint32_t half_open_probes = 1;
};

/// Circuit breaker over the Kafka connection, as a pure state machine: no
/// actor, no clock of its own (time is passed in, so tests are exact).
/// Owned by one actor's state; not thread-safe.
///
/// What counts (contract §8.12 — the old breaker took an idle topic for a
/// broken one and restarted the process every ~10 minutes):
/// - record_failure(): infrastructure errors only — broker unreachable,
///   metadata or transport failures. Never a bad record, never "no data".
/// - record_success(): any broker round trip that worked — a fetch, a
///   metadata reply, an idle poll that reached the broker. An empty poll is
///   a success.
///
/// closed --threshold consecutive failures--> open --open_duration-->
/// half_open --half_open_probes successes--> closed; a failure in half_open
/// reopens. While open, results are ignored: the open duration is a
/// hold-down, and neither a failure extends it nor a success cuts it short.
/// The open -> half_open step happens in whichever call first sees that the
/// time has come (state() included), so the owner should call state(now)
/// on its regular tick to keep the gauge current.
class circuit_breaker {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// `probe` may be null (tests); otherwise it must outlive the breaker.
  explicit circuit_breaker(circuit_breaker_config cfg = {},
                           circuit_breaker_probe* probe = nullptr);

  void record_failure(time_point now);
  void record_success(time_point now);

  /// The state at `now` (may move open -> half_open).
  breaker_state state(time_point now);

  /// The state as of the last call, without advancing time.
  breaker_state last_state() const noexcept { return state_; }

  /// Consecutive failures counted while closed.
  uint32_t consecutive_failures() const noexcept { return failures_; }

  /// State changes so far.
  uint64_t transitions() const noexcept { return transitions_; }

private:
  void advance(time_point now);
  void enter(breaker_state to, time_point now);

  circuit_breaker_config cfg_;
  circuit_breaker_probe* probe_;
  breaker_state state_ = breaker_state::closed;
  uint32_t failures_ = 0;
  uint32_t probe_successes_ = 0;
  time_point opened_at_{};
  uint64_t transitions_ = 0;
};

} // namespace ds::actors
