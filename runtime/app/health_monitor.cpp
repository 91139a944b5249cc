#include "runtime/app/health_monitor.hpp"

namespace ds::app {

namespace {

actors::circuit_breaker_config breaker_config(const config::daemon_config& c) {
  actors::circuit_breaker_config b;
  b.failure_threshold = c.breaker.failure_threshold;
  b.open_duration = std::chrono::seconds(c.breaker.open_secs);
  b.half_open_probes = c.breaker.half_open_probes;
  return b;
}

actors::health_config health_config(const config::daemon_config& c) {
  actors::health_config h;
  h.window_secs = c.health.window_secs;
  h.min_samples = c.health.min_samples;
  h.decode_error_ratio_degraded = c.health.decode_error_ratio_degraded;
  h.infra_error_recent_secs = c.health.infra_error_recent_secs;
  return h;
}

} // namespace

health_monitor::health_monitor(
  const config::daemon_config& cfg, prometheus::Registry& registry,
  std::shared_ptr<actors::partition_reader_probe> records,
  std::shared_ptr<actors::consumer_probe> consumer)
  : breaker_probe_(registry), breaker_(breaker_config(cfg), &breaker_probe_),
    model_(health_config(cfg)), records_(std::move(records)),
    consumer_(std::move(consumer)) {
  tick();
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> guard{mtx_};
    while (!stopping_) {
      cv_.wait_for(guard, std::chrono::seconds(1));
      if (stopping_) {
        break;
      }
      guard.unlock();
      tick();
      guard.lock();
    }
  });
}

health_monitor::~health_monitor() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  ticker_.join();
}

void health_monitor::on_poll(const actors::record_source::poll_result& res) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> guard{mtx_};
  for (std::size_t i = 0; i < res.infra_errors.size(); ++i) {
    breaker_.record_failure(now);
    model_.record_infra_error(now);
  }
  if (res.infra_errors.empty() && res.broker_reachable) {
    breaker_.record_success(now);
  }
}

void health_monitor::tick() {
  auto now = std::chrono::steady_clock::now();
  // Counter deltas since the last tick: the windows see rates, never
  // lifetime totals (contract §8.10).
  auto ok = records_->ok.Value() + records_->rejected.Value();
  auto errors = records_->decode_error.Value();
  auto assigned = consumer_->assigned.Value();
  std::lock_guard<std::mutex> guard{mtx_};
  model_.record_messages(now, static_cast<uint64_t>(ok - seen_ok_),
                         static_cast<uint64_t>(errors - seen_errors_));
  seen_ok_ = ok;
  seen_errors_ = errors;
  model_.set_kafka_state(assigned > 0
                           ? actors::kafka_state::connected
                           : actors::kafka_state::waiting_for_assignment);
  auto state = breaker_.state(now); // also moves open -> half_open on time
  snapshot_ =
    std::make_shared<const actors::health_report>(model_.evaluate(now, state));
}

std::shared_ptr<const actors::health_report> health_monitor::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return snapshot_;
}

actors::breaker_state health_monitor::breaker() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return breaker_.last_state();
}

} // namespace ds::app
