#include "app/health_monitor.hpp"

namespace ds::app {

namespace {

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
  const config::daemon_config& cfg,
  std::shared_ptr<actors::partition_reader_probe> records,
  std::shared_ptr<actors::consumer_probe> consumer)
  : model_(health_config(cfg)), records_(std::move(records)),
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
    model_.record_infra_error(now);
  }
}

void health_monitor::set_dlq_refusal(std::string reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  dlq_refusal_ = std::move(reason);
}

void health_monitor::set_breaker(actors::breaker_state state) {
  std::lock_guard<std::mutex> guard{mtx_};
  breaker_ = state;
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
  std::vector<std::string> extra;
  if (!dlq_refusal_.empty()) {
    extra.push_back("dlq refusing records (" + dlq_refusal_ +
                    "): rejected records wait, partitions pause");
  }
  snapshot_ = std::make_shared<const actors::health_report>(
    model_.evaluate(now, breaker_, extra));
}

std::shared_ptr<const actors::health_report> health_monitor::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return snapshot_;
}

actors::breaker_state health_monitor::breaker() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return breaker_;
}

} // namespace ds::app
