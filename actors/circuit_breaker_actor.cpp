#include "actors/circuit_breaker_actor.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ds::actors {

namespace {

void log_change(breaker_state from, breaker_state to, uint32_t failures) {
  nlohmann::json line{{"component", "circuit_breaker"},
                      {"event", "state_changed"},
                      {"from", std::string{to_string(from)}},
                      {"to", std::string{to_string(to)}},
                      {"consecutive_failures", failures}};
  spdlog::log(to == breaker_state::open ? spdlog::level::warn
                                        : spdlog::level::info,
              line.dump());
}

} // namespace

breaker_actor::behavior_type circuit_breaker_actor(
  breaker_actor::stateful_pointer<breaker_actor_state> self,
  circuit_breaker_config cfg, std::shared_ptr<circuit_breaker_probe> probe,
  breaker_publisher publish, std::chrono::milliseconds tick_interval) {
  auto& st = self->state;
  // The probe is shared with the owner, so the raw pointer stays valid as
  // long as this actor holds the shared_ptr (captured below).
  st.breaker = std::make_unique<circuit_breaker>(cfg, probe.get());
  st.publish = std::move(publish);
  auto evaluate = [self](breaker_state before) {
    auto& s = self->state;
    auto now = s.breaker->state(self->clock().now());
    if (now != before) {
      log_change(before, now, s.breaker->consecutive_failures());
    }
    if (s.publish) {
      s.publish(now);
    }
  };
  evaluate(st.breaker->last_state());
  self->delayed_send(self, tick_interval, tick_atom::value);
  return {
    [self, evaluate](broker_failure_atom, uint32_t n) {
      auto& s = self->state;
      auto before = s.breaker->last_state();
      auto now = self->clock().now();
      for (uint32_t i = 0; i < n; ++i) {
        s.breaker->record_failure(now);
      }
      evaluate(before);
    },
    [self, evaluate](broker_ok_atom) {
      auto& s = self->state;
      auto before = s.breaker->last_state();
      s.breaker->record_success(self->clock().now());
      evaluate(before);
    },
    [self, evaluate](get_atom) {
      evaluate(self->state.breaker->last_state());
      return static_cast<uint8_t>(self->state.breaker->last_state());
    },
    [self, evaluate, probe, tick_interval](tick_atom) {
      evaluate(self->state.breaker->last_state());
      self->delayed_send(self, tick_interval, tick_atom::value);
    },
  };
}

} // namespace ds::actors
