#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "actors/circuit_breaker.hpp"
#include "actors/consumer_probe.hpp"
#include "actors/health_model.hpp"
#include "actors/partition_reader_probe.hpp"
#include "actors/record_source.hpp"
#include "config/daemon_config.hpp"

namespace ds::app {

/// Turns what the pipeline reports into /health and /ready: the time of
/// each infrastructure error comes from the consumer's polls, the breaker
/// state from the circuit-breaker actor, and a ticker moves record-counter
/// deltas into the 120 s health windows once a second and publishes an
/// immutable report that HTTP handlers read without touching any actor.
class health_monitor {
public:
  health_monitor(const config::daemon_config& cfg,
                 std::shared_ptr<actors::partition_reader_probe> records,
                 std::shared_ptr<actors::consumer_probe> consumer);
  ~health_monitor();
  health_monitor(const health_monitor&) = delete;
  health_monitor& operator=(const health_monitor&) = delete;

  /// Called on the consumer thread after each poll.
  void on_poll(const actors::record_source::poll_result& res);

  /// Called by the circuit-breaker actor with each state it evaluates.
  void set_breaker(actors::breaker_state state);

  /// Called by the DLQ writer: why the DLQ refuses records ("" = it takes
  /// them). While set, rejected records wait and ingestion backs up.
  void set_dlq_refusal(std::string reason);

  /// The latest evaluation (never null).
  std::shared_ptr<const actors::health_report> snapshot() const;
  actors::breaker_state breaker() const;

private:
  void tick();

  mutable std::mutex mtx_;
  actors::breaker_state breaker_ = actors::breaker_state::closed;
  std::string dlq_refusal_;
  actors::health_model model_;
  std::shared_ptr<actors::partition_reader_probe> records_;
  std::shared_ptr<actors::consumer_probe> consumer_;
  double seen_ok_ = 0;
  double seen_errors_ = 0;
  std::shared_ptr<const actors::health_report> snapshot_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread ticker_;
};

} // namespace ds::app
