#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/circuit_breaker.hpp"
#include "actors/circuit_breaker_probe.hpp"
#include "actors/vocabulary.hpp"

namespace ds::actors {

/// The Kafka circuit breaker as a supervised actor. The consumer reports
/// what each poll saw; the breaker answers where it stands and publishes
/// every change (and a 1 s heartbeat, which also moves open -> half_open
/// on time) to whoever renders /health and /ready.
using breaker_actor = caf::typed_actor<
  // Infrastructure errors seen in one poll (never bad records).
  caf::reacts_to<broker_failure_atom, uint32_t>,
  // A poll that reached the broker, even an idle one (§8.12).
  caf::reacts_to<broker_ok_atom>,
  // The state now, as the numeric value of breaker_state.
  caf::replies_to<get_atom>::with<uint8_t>,
  // Self-sent heartbeat.
  caf::reacts_to<tick_atom>>;

/// Receives each state as it is evaluated; runs inside the actor, so it
/// must only store or post the value.
using breaker_publisher = std::function<void(breaker_state)>;

struct breaker_actor_state {
  static inline const char* name = "circuit_breaker";
  std::unique_ptr<circuit_breaker> breaker;
  breaker_publisher publish;
};

/// `probe` outlives restarts (it holds the metric series); a restarted
/// breaker starts closed and learns the truth from the next polls.
breaker_actor::behavior_type circuit_breaker_actor(
  breaker_actor::stateful_pointer<breaker_actor_state> self,
  circuit_breaker_config cfg, std::shared_ptr<circuit_breaker_probe> probe,
  breaker_publisher publish, std::chrono::milliseconds tick_interval);

} // namespace ds::actors
