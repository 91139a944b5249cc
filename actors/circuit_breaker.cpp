#include "actors/circuit_breaker.hpp"

#include <algorithm>

#include "actors/circuit_breaker_probe.hpp"

namespace ds::actors {

std::string_view to_string(breaker_state x) noexcept {
  switch (x) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::half_open:
      return "half_open";
    case breaker_state::open:
      return "open";
  }
  return "unknown";
}

circuit_breaker::circuit_breaker(circuit_breaker_config cfg,
                                 circuit_breaker_probe* probe)
  : cfg_(cfg), probe_(probe) {
  // A threshold of 0 would open on nothing; 0 probes would never test.
  cfg_.failure_threshold = std::max<uint32_t>(cfg_.failure_threshold, 1);
  cfg_.half_open_probes = std::max<uint32_t>(cfg_.half_open_probes, 1);
  if (probe_ != nullptr) {
    probe_->state.Set(static_cast<double>(state_));
  }
}

void circuit_breaker::record_failure(time_point now) {
  advance(now);
  switch (state_) {
    case breaker_state::closed:
      if (++failures_ >= cfg_.failure_threshold) {
        enter(breaker_state::open, now);
      }
      break;
    case breaker_state::half_open:
      enter(breaker_state::open, now);
      break;
    case breaker_state::open:
      break; // hold-down: not extended
  }
}

void circuit_breaker::record_success(time_point now) {
  advance(now);
  switch (state_) {
    case breaker_state::closed:
      failures_ = 0;
      break;
    case breaker_state::half_open:
      if (++probe_successes_ >= cfg_.half_open_probes) {
        enter(breaker_state::closed, now);
      }
      break;
    case breaker_state::open:
      break; // hold-down: not cut short
  }
}

breaker_state circuit_breaker::state(time_point now) {
  advance(now);
  return state_;
}

void circuit_breaker::advance(time_point now) {
  if (state_ == breaker_state::open && now - opened_at_ >= cfg_.open_duration) {
    enter(breaker_state::half_open, now);
  }
}

void circuit_breaker::enter(breaker_state to, time_point now) {
  state_ = to;
  failures_ = 0;
  probe_successes_ = 0;
  if (to == breaker_state::open) {
    opened_at_ = now;
  }
  ++transitions_;
  if (probe_ != nullptr) {
    probe_->state.Set(static_cast<double>(to));
    switch (to) {
      case breaker_state::closed:
        probe_->to_closed.Increment();
        break;
      case breaker_state::half_open:
        probe_->to_half_open.Increment();
        break;
      case breaker_state::open:
        probe_->to_open.Increment();
        break;
    }
  }
}

} // namespace ds::actors
