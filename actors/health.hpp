#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/circuit_breaker.hpp"
#include "actors/circuit_breaker_probe.hpp"
#include "actors/fwd.hpp"
#include "actors/health_model.hpp"
#include "actors/vocabulary.hpp"

namespace ds::actors {

/// Where the health actor publishes: one immutable report that HTTP
/// handlers read, and the breaker state the consumer checks before each
/// poll, both from any thread without touching an actor.
class health_board {
public:
  health_board();

  void publish(std::shared_ptr<const health_report> report);

  /// The latest report (never null).
  std::shared_ptr<const health_report> snapshot() const;

  breaker_state breaker() const noexcept {
    return static_cast<breaker_state>(breaker_.load(std::memory_order_relaxed));
  }

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const health_report> report_;
  std::atomic<uint8_t> breaker_{0};
};

/// The one owner of the circuit breaker and the health model (handle in
/// actors/fwd.hpp): everything that bears on /health arrives as a typed
/// message, and each change is published to the board.
/// The actor's own type: its public handle plus the internal heartbeat.
using health_impl = health_actor::extend<caf::reacts_to<tick_atom>>;

struct health_settings {
  health_config model;
  circuit_breaker_config breaker;
  /// How often the report is re-evaluated without news (windows slide, the
  /// breaker's hold-down ends).
  caf::timespan tick = std::chrono::seconds(1);
};

struct health_state {
  static inline const char* name = "health";
  std::unique_ptr<health_model> model;
  std::unique_ptr<circuit_breaker> breaker;
  std::shared_ptr<circuit_breaker_probe> probe;
  std::shared_ptr<health_board> board;
  std::string dlq_refusal;
};

/// Runs on the CAF scheduler and never blocks.
health_impl::behavior_type
health(health_impl::stateful_pointer<health_state> self, health_settings cfg,
       std::shared_ptr<circuit_breaker_probe> probe,
       std::shared_ptr<health_board> board);

} // namespace ds::actors
