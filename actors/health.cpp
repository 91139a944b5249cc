#include "actors/health.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "diag/log.hpp"

namespace ds::actors {

namespace {

// Before the health actor's first evaluation nothing is known yet: the
// board must not say "healthy" (/ready 200, systemd's READY=1) then.
std::shared_ptr<const health_report> starting_report() {
  auto r = std::make_shared<health_report>();
  r->status = health_status::waiting;
  r->reasons.emplace_back("starting");
  return r;
}

} // namespace

health_board::health_board() : report_{starting_report()} {}

void health_board::publish(std::shared_ptr<const health_report> report) {
  breaker_.store(static_cast<uint8_t>(report->breaker),
                 std::memory_order_relaxed);
  std::lock_guard<std::mutex> guard{mtx_};
  report_ = std::move(report);
}

std::shared_ptr<const health_report> health_board::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return report_;
}

namespace {

using self_ptr = health_impl::stateful_pointer<health_state>;

void log_change(breaker_state from, breaker_state to, uint32_t failures) {
  diag::log_event(to == breaker_state::open ? spdlog::level::warn
                                            : spdlog::level::info,
                  "circuit_breaker",
                  {{"event", "state_changed"},
                   {"from", std::string{to_string(from)}},
                   {"to", std::string{to_string(to)}},
                   {"consecutive_failures", failures}});
}

// Re-evaluates at the actor's clock and publishes the report.
void publish(self_ptr self, breaker_state before) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto breaker = st.breaker->state(now);
  if (breaker != before) {
    log_change(before, breaker, st.breaker->consecutive_failures());
  }
  std::vector<std::string> extra;
  if (!st.dlq_refusal.empty()) {
    extra.push_back("dlq refusing records (" + st.dlq_refusal +
                    "): rejected records wait, partitions pause");
  }
  st.board->publish(std::make_shared<const health_report>(
    st.model->evaluate(now, breaker, extra)));
}

} // namespace

health_impl::behavior_type health(self_ptr self, health_settings cfg,
                                  std::shared_ptr<circuit_breaker_probe> probe,
                                  std::shared_ptr<health_board> board) {
  auto& st = self->state;
  st.model = std::make_unique<health_model>(cfg.model);
  // The probe is kept in the state, so the raw pointer outlives the breaker.
  st.probe = std::move(probe);
  st.breaker = std::make_unique<circuit_breaker>(cfg.breaker, st.probe.get());
  st.board = std::move(board);
  publish(self, st.breaker->last_state());
  self->delayed_send(self, cfg.tick, tick_atom::value);
  return {
    [self](const poll_outcome& x) {
      auto& s = self->state;
      auto before = s.breaker->last_state();
      auto now = self->clock().now();
      for (uint32_t i = 0; i < x.infra_errors; ++i) {
        s.breaker->record_failure(now);
        s.model->record_infra_error(now);
      }
      if (x.infra_errors == 0 && x.broker_reachable) {
        s.breaker->record_success(now);
      }
      s.model->set_kafka_state(x.assigned_partitions > 0
                                 ? kafka_state::connected
                                 : kafka_state::waiting_for_assignment);
      // At once when the breaker moves: the consumer's gate reads it.
      if (s.breaker->state(now) != before) {
        publish(self, before);
      }
    },
    [self](const record_delta& x) {
      self->state.model->record_messages(self->clock().now(), x.processed,
                                         x.decode_errors);
    },
    [self](dlq_refusal_atom, std::string why) {
      auto& s = self->state;
      if (why != s.dlq_refusal) {
        s.dlq_refusal = std::move(why);
        publish(self, s.breaker->last_state());
      }
    },
    [self](get_atom) {
      publish(self, self->state.breaker->last_state());
      return static_cast<uint8_t>(self->state.breaker->last_state());
    },
    [self, tick = cfg.tick](tick_atom) {
      publish(self, self->state.breaker->last_state());
      self->delayed_send(self, tick, tick_atom::value);
    },
  };
}

} // namespace ds::actors
