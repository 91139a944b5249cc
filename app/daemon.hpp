#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "actors/consumer.hpp"
#include "actors/fwd.hpp"
#include "actors/health_model.hpp"
#include "actors/supervisor.hpp"
#include "config/daemon_config.hpp"
#include "runtime/auth/verifier.hpp"
#include "runtime/dlq_store/sink.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/server.hpp"
#include "runtime/kafka/client_config.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "runtime/metrics/process_probe.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/trace/exporter.hpp"
#include "runtime/trace/tracer.hpp"

namespace ds::app {

/// librdkafka connection settings from the daemon configuration: brokers,
/// security, SASL/SSL, and the raw `kafka.properties` passthrough.
kafka::client_config client_config_from(const config::kafka_settings& k);

/// The composition root: builds and wires the whole system in order
/// (metrics registry -> actor system -> supervisors -> consumer) and stops
/// it in reverse. One per process; tests run several in one process.
class daemon {
public:
  /// Starts everything; with no brokers configured, an embedded broker
  /// (librdkafka mock cluster) is started first with `embedded_partitions`.
  static caf::expected<std::unique_ptr<daemon>>
  start(config::daemon_config cfg, int embedded_partitions = 6);

  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  /// Graceful: the consumer leaves the group (drain, commit), then the
  /// actors stop. Bounded by pipeline.shutdown_timeout_secs.
  void stop();

  /// Non-empty once the root supervisor gave up (restart intensity).
  std::string failure() const;
  bool failed() const noexcept { return failed_; }

  const std::string& brokers() const noexcept { return brokers_; }
  prometheus::Registry& registry() noexcept { return registry_.get(); }
  /// The bound HTTP port (/metrics, /health, /ready, /version).
  uint16_t http_port() const noexcept;

  /// Reloads the WebSocket clients' key files (SIGHUP); on failure the
  /// previous keys stay and the error is returned. No-op without keys.
  caf::error reload_keys();

  /// The embedded broker, when no brokers were configured (else null):
  /// tests use it to inject outages.
  kafka::mock_cluster* embedded() const noexcept { return embedded_.get(); }

  /// The latest /health evaluation.
  std::shared_ptr<const actors::health_report> health() const;
  /// The pipeline's output: validated records, per partition in offset
  /// order, to every subscriber (null while it restarts).
  actors::egress_actor egress() const;
  caf::actor_system& system() noexcept { return *system_; }
  const config::daemon_config& config() const noexcept { return cfg_; }

  /// The consumer's counters (asks the current consumer instance).
  caf::expected<actors::consumer_stats>
  consumer_stats(std::chrono::milliseconds timeout);

  /// True when an actor of the pipeline (the health actor) answers within
  /// `timeout`: what the systemd watchdog pings on.
  bool responsive(std::chrono::milliseconds timeout);

  /// Lifts a halted thread on whichever validator owns it.
  caf::expected<bool> reset_thread(const std::string& thread_id,
                                   std::chrono::milliseconds timeout);

private:
  daemon() = default;
  caf::actor child(const std::string& name);
  // start() runs these in order; stop() undoes them in reverse.
  caf::error start_kafka(int embedded_partitions);
  caf::error check_kafka_access(const config::kafka_settings& k,
                                const kafka::client_config& client);
  caf::error start_embedded_broker(int partitions);
  void apply_memory_plan(std::map<std::string, std::string>& props);
  caf::error start_actor_system();
  caf::error start_dlq();
  caf::error start_tracing();
  caf::error start_pipeline();
  caf::error start_http();
  void add_health_routes(http::router& routes);
  struct ui_sources ui_sources_of();
  nlohmann::json version_json() const;
  http::response admin_reset_thread(const http::request& req);

  config::daemon_config cfg_;
  std::string brokers_;
  // Declaration order is destruction order reversed: the registry and the
  // embedded broker outlive the actor system that uses them.
  metrics::registry registry_;
  std::unique_ptr<metrics::process_probe> process_;
  std::unique_ptr<class allocator_governor> allocator_;
  std::unique_ptr<kafka::mock_cluster> embedded_;
  // Outlives the actor system: the DLQ writer submits to it until the end.
  std::unique_ptr<dlq_store::sink> dlq_;
  // Outlives the actor system too: partition readers finish spans into it.
  std::shared_ptr<trace::otlp_exporter> trace_exporter_;
  std::shared_ptr<const trace::tracer> tracer_;
  std::unique_ptr<caf::actor_system_config> system_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  actors::supervisor_actor root_;
  std::shared_ptr<struct pipeline_parts> parts_;
  /// The UI's metric samples; read by the HTTP handlers, so it outlives
  /// the server.
  std::shared_ptr<class stats_sampler> stats_;
  std::unique_ptr<http::server> http_;
  /// The clients' JWT keys; null with auth.mode = none.
  std::shared_ptr<auth::key_store> keys_;
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mtx_;
  std::string failure_;
  bool stopped_ = false;
};

} // namespace ds::app
