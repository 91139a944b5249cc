#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <prometheus/registry.h>

#include "actors/circuit_breaker.hpp"
#include "actors/circuit_breaker_probe.hpp"
#include "actors/consumer_probe.hpp"
#include "actors/health_model.hpp"
#include "actors/partition_reader_probe.hpp"
#include "actors/record_source.hpp"
#include "config/daemon_config.hpp"

namespace ds::app {

/// Turns what the pipeline reports into /health and /ready: the circuit
/// breaker is fed from every consumer poll (infrastructure errors vs. a
/// broker that answered; an idle topic is not a failure), and a ticker
/// moves record-counter deltas into the 120 s health windows once a second
/// and publishes an immutable report that HTTP handlers read without
/// touching any actor.
class health_monitor {
public:
  health_monitor(const config::daemon_config& cfg,
                 prometheus::Registry& registry,
                 std::shared_ptr<actors::partition_reader_probe> records,
                 std::shared_ptr<actors::consumer_probe> consumer);
  ~health_monitor();
  health_monitor(const health_monitor&) = delete;
  health_monitor& operator=(const health_monitor&) = delete;

  /// Called on the consumer thread after each poll.
  void on_poll(const actors::record_source::poll_result& res);

  /// The latest evaluation (never null).
  std::shared_ptr<const actors::health_report> snapshot() const;
  actors::breaker_state breaker() const;

private:
  void tick();

  mutable std::mutex mtx_;
  actors::circuit_breaker_probe breaker_probe_;
  actors::circuit_breaker breaker_;
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
