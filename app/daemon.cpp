#include "app/daemon.hpp"

#include "build_info.hpp" // generated: DS_GIT_SHA, DS_BUILD_DATE

#include <algorithm>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/dlq_writer.hpp"
#include "actors/egress.hpp"
#include "actors/handle_directory.hpp"
#include "actors/health.hpp"
#include "actors/partition_reader.hpp"
#include "actors/quality_aggregator.hpp"
#include "actors/validator.hpp"
#include "app/allocator_governor.hpp"
#include "app/client_reads.hpp"
#include "app/kafka_record_source.hpp"
#include "app/memory_plan.hpp"
#include "app/recent_dlq.hpp"
#include "app/stats_sampler.hpp"
#include "app/ui_routes.hpp"
#include "clients/client_supervisor.hpp"
#include "clients/cold_reader.hpp"
#include "clients/fanout.hpp"
#include "clients/websocket_route.hpp"
#include "diag/errc.hpp"
#include "diag/log.hpp"
#include "dlq/envelope.hpp"
#include "runtime/http/metrics_endpoint.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/errc.hpp"
#include "runtime/kafka/group_consumer.hpp"

namespace ds::app {

namespace {

// How long startup waits for the cluster to accept (or refuse) our SASL or
// TLS credentials: a refusal takes one round trip; only an unreachable
// cluster waits this long, and then startup goes on as it would without
// security (the consumer keeps trying).
constexpr std::chrono::seconds kafka_access_timeout{10};

actors::gap_policy to_policy(config::sequence_policy p) {
  switch (p) {
    case config::sequence_policy::continue_silently:
      return actors::gap_policy::continue_silently;
    case config::sequence_policy::halt:
      return actors::gap_policy::halt;
    default:
      return actors::gap_policy::warn_and_continue;
  }
}

actors::supervisor_config supervision(const config::daemon_config& cfg,
                                      std::string name,
                                      actors::restart_strategy strategy) {
  actors::supervisor_config s;
  s.name = std::move(name);
  s.strategy = strategy;
  s.max_restarts = cfg.supervision.max_restarts;
  s.within = std::chrono::seconds(cfg.supervision.within_secs);
  s.backoff_initial =
    std::chrono::milliseconds(cfg.supervision.backoff_initial_ms);
  s.backoff_max = std::chrono::milliseconds(cfg.supervision.backoff_max_ms);
  return s;
}

actors::health_settings health_settings_of(const config::daemon_config& c) {
  actors::health_settings h;
  h.model.window_secs = c.health.window_secs;
  h.model.min_samples = c.health.min_samples;
  h.model.decode_error_ratio_degraded = c.health.decode_error_ratio_degraded;
  h.model.infra_error_recent_secs = c.health.infra_error_recent_secs;
  h.breaker.failure_threshold = c.breaker.failure_threshold;
  h.breaker.open_duration = std::chrono::seconds(c.breaker.open_secs);
  h.breaker.half_open_probes = c.breaker.half_open_probes;
  return h;
}

actors::consumer_config consumer_config_of(const config::daemon_config& c,
                                           const memory_plan& memory) {
  actors::consumer_config cc;
  cc.inflight_max = c.pipeline.partition_inflight_max;
  cc.inflight_low = c.pipeline.partition_inflight_low_water;
  cc.inflight_bytes_max = memory.held_max;
  cc.inflight_bytes_low = memory.held_low;
  cc.dispatch_window_bytes = c.pipeline.dispatch_window_bytes;
  cc.window_poll_interval =
    std::chrono::milliseconds(c.pipeline.dispatch_window_poll_ms);
  cc.drain_timeout = std::chrono::seconds(c.pipeline.shutdown_timeout_secs);
  cc.lag_interval = std::chrono::seconds(c.kafka.lag_check_interval_secs);
  cc.watermark_timeout =
    std::chrono::milliseconds(c.kafka.watermark_timeout_ms);
  return cc;
}

/// What every partition reader shares; the consumer adds the partition.
actors::partition_reader_config
reader_template_of(const config::daemon_config& c,
                   std::vector<std::string> validator_names) {
  actors::partition_reader_config rc;
  rc.decode.mode = c.kafka.decode_mode == config::decode_strictness::strict
                     ? proto::decode_mode::strict
                     : proto::decode_mode::compatible;
  rc.decode.max_decoded_bytes = c.kafka.max_payload_bytes;
  rc.validator_names = std::move(validator_names);
  rc.topic = c.kafka.topic;
  rc.group_id = c.kafka.group_id;
  rc.poison_max_crashes = c.dlq.poison_max_crashes;
  rc.dlq_format = dlq_store::record_format_of(c);
  rc.tenant_filter = c.kafka.tenant_id;
  rc.pause_on_decode_error =
    c.kafka.on_decode_error == config::decode_error_action::pause;
  rc.dlq_topic = config::effective_dlq_topic(c);
  return rc;
}

// The client sessions' protocol limits, from [replay] and [http].
clients::session_config session_config_of(const config::daemon_config& c) {
  clients::session_config sc;
  sc.max_message_bytes = c.http.ws_max_message_bytes;
  sc.slow_threshold = c.replay.slow_client_threshold;
  sc.slow_window = std::chrono::seconds{c.replay.slow_client_window_secs};
  sc.replay_max_total = c.replay.max_total;
  sc.replay_timeout = std::chrono::seconds{c.replay.timeout_secs};
  return sc;
}

// The clients' key files and claims, from [auth].
auth::key_settings key_settings_of(const config::auth_settings& a) {
  auth::key_settings k;
  k.hs256_secret_file = a.hs256_secret_file;
  k.public_key_file = a.public_key_file;
  k.public_key_algorithm = std::string{config::to_string(a.jwt_algorithm)};
  k.jwks_file = a.jwks_file;
  k.tenant_claim = a.tenant_claim;
  k.admin_claim = a.admin_claim;
  k.leeway = std::chrono::seconds{a.leeway_secs};
  return k;
}

} // namespace

/// Everything the supervision tree's start functions need, built once by
/// start_pipeline(). Start functions run inside the root supervisor, one
/// at a time; the handles they publish go through the directory.
struct pipeline_parts {
  config::daemon_config cfg;
  actors::handle_directory handles;
  std::shared_ptr<actors::health_board> board =
    std::make_shared<actors::health_board>();
  actors::egress_listeners listeners =
    std::make_shared<std::atomic<uint32_t>>(0);
  std::shared_ptr<actors::validator_probe> validator_probe;
  std::shared_ptr<actors::supervisor_probe> supervisor_probe;
  std::shared_ptr<actors::partition_reader_probe> reader_probe;
  std::shared_ptr<actors::consumer_probe> consumer_probe;
  std::shared_ptr<actors::circuit_breaker_probe> breaker_probe;
  dlq_store::sink* sink = nullptr;
  /// Brokers and security, for the producers and admin requests; the
  /// consumer's settings add its fetch sizes (which a producer would warn
  /// about at every start).
  kafka::client_config client;
  kafka::consumer_settings consumer_settings;
  /// The group member made (and checked) during startup; the first
  /// consumer takes it, a restarted one joins afresh.
  std::unique_ptr<kafka::group_consumer> first_consumer;
  actors::consumer_config consumer_cfg;
  actors::partition_reader_config reader_template;
  /// The client half: its actors' current handles, for the /ws route.
  std::shared_ptr<clients::client_handles> clients =
    std::make_shared<clients::client_handles>();
  std::shared_ptr<clients::clients_probe> clients_probe;
  /// The replay ring's bound from the memory plan.
  std::size_t ring_bytes = 0;
  /// What all WebSocket client queues may hold, from the memory plan.
  std::size_t client_queue_bytes = 0;
  /// The partitions this daemon's group member holds; the mirror reads
  /// the others.
  std::shared_ptr<local_assignment> local =
    std::make_shared<local_assignment>();
  /// The newest DLQ records, for the UI's DLQ view.
  std::shared_ptr<recent_dlq> dlq_recent;
};

namespace {

using parts_ptr = std::shared_ptr<pipeline_parts>;

actors::child_spec egress_child(const parts_ptr& p) {
  return actors::typed_child<actors::egress_actor>(
    "egress", "egress",
    [p](caf::actor_system& sys) {
      return sys.spawn(actors::egress, p->listeners);
    },
    actors::restart_policy::permanent, p->handles.egress.keeper());
}

// The client half's entry: validated records from the egress, encoded once,
// to every session; the replay ring.
actors::child_spec fanout_child(const parts_ptr& p) {
  return actors::typed_child<clients::fanout_actor>(
    "fanout", "fanout",
    [p](caf::actor_system& sys) {
      clients::fanout_config fc;
      fc.ring_bytes = p->ring_bytes;
      return sys.spawn(clients::fanout, fc, p->clients_probe,
                       p->handles.egress.get());
    },
    actors::restart_policy::permanent, p->clients->fanout.keeper());
}

// Contract §6's quality family, from the egress like the fan-out. The tally
// (label slots, counted offsets) is made once and outlives restarts, so the
// label caps hold for the process.
actors::child_spec quality_child(const parts_ptr& p,
                                 prometheus::Registry& reg) {
  const auto& q = p->cfg.quality;
  auto tally = std::make_shared<actors::quality_tally>(
    reg, actors::quality_limits{q.max_models, q.max_categories, q.max_tenants},
    p->reader_template.decode);
  return actors::typed_child<actors::quality_actor>(
    "quality_aggregator", "quality_aggregator",
    [p, tally](caf::actor_system& sys) {
      return sys.spawn(actors::quality_aggregator, tally,
                       p->handles.egress.get());
    },
    actors::restart_policy::permanent);
}

client_read_settings client_read_settings_of(const pipeline_parts& p) {
  client_read_settings s;
  s.client = p.consumer_settings.client;
  s.topic = p.cfg.kafka.topic;
  s.decode = p.reader_template.decode;
  s.tenant_filter = p.cfg.kafka.tenant_id;
  s.timeout = std::chrono::seconds{p.cfg.replay.timeout_secs};
  return s;
}

// Resumes older than the ring read Kafka; detached, its reads block.
actors::child_spec cold_reader_child(const parts_ptr& p) {
  return actors::typed_child<clients::cold_reader_actor>(
    "cold_reader", "cold_reader",
    [p](caf::actor_system& sys) {
      return sys.spawn<caf::detached>(
        clients::cold_reader, kafka_cold_reads(client_read_settings_of(*p)));
    },
    actors::restart_policy::permanent, p->clients->cold.keeper());
}

// The partitions other daemons of the group validate, read for this
// daemon's clients; detached, its polls block.
actors::child_spec mirror_child(const parts_ptr& p) {
  return actors::typed_child<clients::mirror_actor>(
    "mirror", "mirror",
    [p](caf::actor_system& sys) {
      clients::mirror_config mc;
      mc.poll_interval =
        std::chrono::milliseconds{p->cfg.replay.mirror_poll_ms};
      mc.batch_records = p->cfg.replay.mirror_batch_records;
      auto source = std::make_shared<kafka_mirror_source>(
        client_read_settings_of(*p), p->local);
      return sys.spawn<caf::detached>(clients::mirror, mc, std::move(source),
                                      p->clients->fanout.get(),
                                      p->clients_probe);
    },
    actors::restart_policy::permanent);
}

actors::child_spec client_sessions_child(const parts_ptr& p) {
  return actors::typed_child<clients::client_supervisor_actor>(
    "client_sessions", "client_sessions",
    [p](caf::actor_system& sys) {
      return sys.spawn(clients::client_supervisor, p->clients_probe);
    },
    actors::restart_policy::permanent, p->clients->sessions.keeper());
}

actors::child_spec health_child(const parts_ptr& p) {
  return actors::typed_child<actors::health_actor>(
    "health", "health",
    [p](caf::actor_system& sys) {
      return sys.spawn(actors::health, health_settings_of(p->cfg),
                       p->breaker_probe, p->board);
    },
    actors::restart_policy::permanent, p->handles.health.keeper());
}

actors::child_spec dlq_writer_child(const parts_ptr& p) {
  return actors::typed_child<actors::dlq_actor>(
    "dlq_writer", "dlq_writer",
    [p](caf::actor_system& sys) {
      actors::dlq_port port;
      port.submit = [sink = p->sink,
                     recent = p->dlq_recent](std::span<dlq::submission> b) {
        recent->add(b);
        sink->submit(b);
      };
      port.status = [sink = p->sink] { return sink->status(); };
      auto health = p->handles.health.get();
      actors::dlq_publisher refusals{[health](const std::string& why) {
        caf::anon_send(health, actors::dlq_refusal_atom::value, why);
      }};
      // Its own thread: every rejected record passes through it, and on
      // the shared workers it queued behind readers draining deep
      // mailboxes, holding DLQ records back 50-130 ms at a time while they
      // piled up in memory.
      return sys.spawn<caf::detached>(
        actors::dlq_writer, std::move(port), std::move(refusals),
        caf::timespan{std::chrono::seconds(1) / 2});
    },
    actors::restart_policy::permanent, p->handles.dlq.keeper());
}

actors::child_spec validators_child(const parts_ptr& p) {
  return actors::typed_child<actors::supervisor_actor>(
    "validators", "supervisor",
    [p](caf::actor_system& sys) {
      const auto& c = p->cfg;
      actors::sequence_checker_config checker{to_policy(c.validation.policy),
                                              c.validation.max_tracked_threads,
                                              c.validation.max_thread_id_bytes};
      std::vector<actors::child_spec> specs;
      for (const auto& name : p->reader_template.validator_names) {
        specs.push_back(actors::typed_child<actors::validator_actor>(
          name, "validator", [p, checker](caf::actor_system& s) {
            return s.spawn(actors::validator, checker, p->validator_probe);
          }));
      }
      return sys.spawn(
        actors::supervisor,
        supervision(c, "validators", actors::restart_strategy::one_for_one),
        p->supervisor_probe, std::move(specs));
    },
    actors::restart_policy::permanent, p->handles.validators.keeper());
}

actors::child_spec readers_child(const parts_ptr& p) {
  return actors::typed_child<actors::supervisor_actor>(
    "partition_readers", "supervisor",
    [p](caf::actor_system& sys) {
      return sys.spawn(actors::supervisor,
                       supervision(p->cfg, "partition_readers",
                                   actors::restart_strategy::one_for_one),
                       p->supervisor_probe, std::vector<actors::child_spec>{});
    },
    actors::restart_policy::permanent, p->handles.readers.keeper());
}

// A consumer that cannot join the group exits with the reason, so its
// supervisor sees it like any other failure.
caf::actor failed_start(caf::actor_system& sys, caf::error reason) {
  // The error travels as an argument, not a capture: CAF 0.17 binds a null
  // reference for argument-less function actors.
  return sys.spawn(
    [](caf::event_based_actor* self, caf::error e) {
      self->quit(std::move(e));
      return caf::behavior{};
    },
    std::move(reason));
}

actors::child_spec consumer_child(const parts_ptr& p) {
  return actors::typed_child<actors::consumer_handle>(
    "consumer", "consumer",
    [p](caf::actor_system& sys) -> actors::consumer_handle {
      auto gc = std::move(p->first_consumer);
      if (!gc) { // a restart: join the group afresh
        auto fresh = kafka::group_consumer::make(p->consumer_settings);
        if (!fresh) {
          return failed_start(sys, fresh.error());
        }
        gc = std::move(*fresh);
      }
      auto deps = std::make_shared<actors::consumer_deps>();
      deps->source =
        std::make_unique<kafka_record_source>(std::move(gc), p->local);
      deps->readers = p->handles.readers.get();
      deps->reader_probe = p->reader_probe;
      deps->probe = p->consumer_probe;
      deps->health = p->handles.health.get();
      deps->gate = p->board;
      deps->reader_config = [p](int32_t) {
        auto rc = p->reader_template;
        rc.validators_supervisor = p->handles.validators.get();
        rc.dlq = [p] { return p->handles.dlq.get(); };
        rc.egress = p->handles.egress.get();
        rc.egress_listeners = p->listeners;
        rc.health = p->handles.health.get();
        return rc;
      };
      return sys.spawn(actors::consumer, p->consumer_cfg, std::move(deps));
    },
    // A consumer that stopped on request stays stopped.
    actors::restart_policy::transient);
}

} // namespace

kafka::client_config client_config_from(const config::kafka_settings& k) {
  kafka::client_config c;
  c.brokers = k.brokers;
  c.properties = k.properties;
  c.properties["security.protocol"] =
    std::string{config::to_string(k.security_protocol)};
  auto set_if = [&](const char* key, const std::string& value) {
    if (!value.empty()) {
      c.properties[key] = value;
    }
  };
  set_if("sasl.mechanism", k.sasl_mechanism);
  set_if("sasl.username", k.sasl_username);
  set_if("sasl.password", k.sasl_password);
  set_if("ssl.ca.location", k.ssl_ca_location);
  set_if("ssl.certificate.location", k.ssl_certificate_location);
  set_if("ssl.key.location", k.ssl_key_location);
  return c;
}

caf::expected<std::unique_ptr<daemon>> daemon::start(config::daemon_config cfg,
                                                     int embedded_partitions) {
  std::unique_ptr<daemon> d{new daemon};
  d->cfg_ = std::move(cfg);
  d->process_ = std::make_unique<metrics::process_probe>(
    d->registry_.get(), metrics::build_info{DS_VERSION, DS_GIT_SHA, "1"});
  auto steps = {
    +[](daemon& x, int parts) { return x.start_kafka(parts); },
    +[](daemon& x, int) { return x.start_actor_system(); },
    +[](daemon& x, int) { return x.start_dlq(); },
    +[](daemon& x, int) { return x.start_tracing(); },
    +[](daemon& x, int) { return x.start_pipeline(); },
    +[](daemon& x, int) { return x.start_http(); },
  };
  for (auto step : steps) {
    if (auto err = step(*d, embedded_partitions)) {
      return err;
    }
  }
  diag::log_event(
    spdlog::level::info, "daemon",
    {{"event", "started"},
     {"http", d->cfg_.http.host + ":" + std::to_string(d->http_port())},
     {"brokers", d->brokers_},
     {"topic", d->cfg_.kafka.topic},
     {"group_id", d->cfg_.kafka.group_id},
     {"validators", d->cfg_.pipeline.validators},
     {"scheduler_threads",
      caf::get_or(*d->system_cfg_, "scheduler.max-threads", size_t{0})}});
  return d;
}

// Step 1, Kafka: the configured cluster or an embedded one, the consumer's
// settings with the memory budget's share for librdkafka, and a first group
// member, so that bad Kafka settings surface before any actor starts.
caf::error daemon::start_kafka(int embedded_partitions) {
  const auto& c = cfg_;
  brokers_ = c.kafka.brokers;
  if (brokers_.empty()) {
    if (auto err = start_embedded_broker(embedded_partitions)) {
      return err;
    }
  }
  parts_ = std::make_shared<pipeline_parts>();
  parts_->cfg = c;
  parts_->client = client_config_from(c.kafka);
  parts_->client.brokers = brokers_;
  auto& cs = parts_->consumer_settings;
  cs.client = parts_->client;
  cs.group_id = c.kafka.group_id;
  cs.topic = c.kafka.topic;
  cs.auto_offset_reset =
    std::string{config::to_string(c.kafka.auto_offset_reset)};
  cs.session_timeout_ms = static_cast<int>(c.kafka.session_timeout_ms);
  if (embedded_) {
    cs.client.properties.try_emplace(
      "fetch.wait.max.ms", kafka::mock_cluster::consumer_fetch_wait_max_ms);
  }
  apply_memory_plan(cs.client.properties);
  if (!embedded_) {
    if (auto err = check_kafka_access(c.kafka, cs.client)) {
      return err;
    }
  }
  auto first = kafka::group_consumer::make(cs);
  if (!first) {
    return first.error();
  }
  parts_->first_consumer = std::move(*first);
  return {};
}

// With SASL or TLS configured, a refused login or handshake stops startup
// with what to fix (run_daemon exits 77): librdkafka alone would only log
// it and retry forever, and the daemon would look up but read nothing.
// Without SASL or TLS there is nothing to refuse, and an unreachable
// cluster is not a startup failure either way (the consumer retries).
caf::error daemon::check_kafka_access(const config::kafka_settings& k,
                                      const kafka::client_config& client) {
  using config::transport_security;
  if (k.security_protocol == transport_security::plaintext) {
    return {};
  }
  auto err = kafka::check_access(client, kafka_access_timeout);
  auto code = kafka::to_errc(err);
  auto protocol = std::string{config::to_string(k.security_protocol)};
  if (code == kafka::errc::authentication_failed) {
    auto mechanism =
      k.sasl_mechanism.empty() ? std::string{"GSSAPI"} : k.sasl_mechanism;
    // Or the operator chases a password that is right.
    std::string scram_note;
    if (mechanism.rfind("SCRAM-", 0) == 0) {
      if (auto why = kafka::scram_limitation(); !why.empty()) {
        scram_note = "; note: " + why;
      }
    }
    return kafka::make_error(
      code, "Kafka authentication failed for user '" + k.sasl_username +
              "' on " + brokers_ + " (SASL " + mechanism + " over " + protocol +
              "): " + diag::error_detail(err) +
              "; check kafka.sasl_username and kafka.sasl_password "
              "(KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)" +
              scram_note);
  }
  if (code == kafka::errc::tls_failed) {
    return kafka::make_error(
      code, "Kafka TLS handshake failed on " + brokers_ + " (" + protocol +
              "): " + diag::error_detail(err) +
              "; check kafka.ssl_ca_location, kafka.ssl_certificate_location "
              "and kafka.ssl_key_location");
  }
  if (code == kafka::errc::client_create_failed ||
      code == kafka::errc::invalid_config) {
    return err; // a certificate file that cannot be read, ...
  }
  if (err) {
    diag::log_event(spdlog::level::warn, "daemon",
                    {{"event", "kafka_unreachable_at_start"},
                     {"brokers", brokers_},
                     {"error", diag::describe(err)}});
  }
  return {};
}

caf::error daemon::start_embedded_broker(int partitions) {
  auto mock = kafka::mock_cluster::make(1);
  if (!mock) {
    return mock.error();
  }
  for (const auto& t : {cfg_.kafka.topic, config::effective_dlq_topic(cfg_)}) {
    if (auto err = (*mock)->create_topic(t, partitions)) {
      return err;
    }
  }
  brokers_ = (*mock)->bootstrap();
  embedded_ = std::move(*mock);
  diag::log_event(spdlog::level::info, "daemon",
                  {{"event", "embedded_broker_started"},
                   {"brokers", brokers_},
                   {"partitions", partitions}});
  return {};
}

// The memory budget (app/memory_plan.hpp): librdkafka's prefetch and fetch
// sizes, unless kafka.properties sets them, the allocator's cap, and the
// consumer's pause marks.
void daemon::apply_memory_plan(std::map<std::string, std::string>& props) {
  const auto& c = cfg_;
  auto memory =
    plan_memory(c.pipeline.memory_budget_bytes, c.replay.ring_bytes);
  parts_->ring_bytes = memory.ring_bytes;
  parts_->client_queue_bytes = memory.client_queue_bytes;
  allocator_ = std::make_unique<allocator_governor>(
    memory.allocator_kept_max, allocator_check_interval, registry_.get());
  props.try_emplace("queued.max.messages.kbytes",
                    std::to_string(memory.prefetch_kbytes));
  props.try_emplace("queued.min.messages",
                    std::to_string(memory.prefetch_messages));
  props.try_emplace("fetch.max.bytes", std::to_string(memory.fetch_bytes));
  parts_->consumer_cfg = consumer_config_of(c, memory);
  // What the budget bought, as librdkafka gets it: a slow backlog is
  // explained by these (docs/tuning.md, "The memory budget").
  diag::log_event(
    spdlog::level::info, "daemon",
    {{"event", "memory_plan"},
     {"budget_bytes", c.pipeline.memory_budget_bytes},
     {"fixed_bytes", process_fixed_bytes},
     {"in_flight_bytes_max", memory.held_max},
     {"allocator_kept_max", memory.allocator_kept_max},
     {"replay_ring_bytes", memory.ring_bytes},
     {"queued.min.messages", props.at("queued.min.messages")},
     {"queued.max.messages.kbytes", props.at("queued.max.messages.kbytes")},
     {"fetch.max.bytes", props.at("fetch.max.bytes")}});
}

// Step 2, the actor system, with every error category registered so its
// logs and exit reasons name our errors.
caf::error daemon::start_actor_system() {
  const auto& c = cfg_;
  system_cfg_ = std::make_unique<caf::actor_system_config>();
  auto& scfg = *system_cfg_;
  auto threads = c.pipeline.scheduler_threads != 0
                   ? c.pipeline.scheduler_threads
                   : std::max(1u, std::thread::hardware_concurrency());
  scfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  scfg.set("logger.file-verbosity", caf::atom("quiet"));
  scfg.set("logger.console-verbosity", caf::atom("quiet"));
  diag::register_error_categories(scfg);
  system_ = std::make_unique<caf::actor_system>(scfg);
  return {};
}

// Step 3, the DLQ sink: Kafka first, the local spool when Kafka is slow or
// down. A spool left by an earlier run is recovered and drained from here
// on. The DLQ topic is created if the cluster lacks it (same partition
// count as the source); not fatal: until it exists the sink spools.
caf::error daemon::start_dlq() {
  const auto& c = cfg_;
  const auto& kcfg = parts_->client;
  auto dlq_topic = config::effective_dlq_topic(c);
  // Asked first: a broker without CreateTopics (the embedded mock) would
  // hold startup for the whole create timeout.
  auto exists = kafka::topic_exists(kcfg, dlq_topic, std::chrono::seconds(5));
  if (!embedded_ && !(exists && *exists)) {
    auto parts =
      kafka::partition_count(kcfg, c.kafka.topic, std::chrono::seconds(5));
    if (auto err = kafka::create_topic(kcfg, dlq_topic, parts ? *parts : 1, -1,
                                       std::chrono::seconds(10))) {
      diag::log_event(spdlog::level::warn, "daemon",
                      {{"event", "dlq_topic_create_failed"},
                       {"topic", dlq_topic},
                       {"error", diag::describe(err)}});
    }
  }
  auto sink = dlq_store::sink::open(c, kcfg, registry_.get());
  if (!sink) {
    return sink.error();
  }
  dlq_ = std::move(*sink);
  parts_->sink = dlq_.get();
  return {};
}

// Step 4, tracing (only with tracing.endpoint): the exporter's thread and
// the tracer the partition readers share.
caf::error daemon::start_tracing() {
  const auto& t = cfg_.tracing;
  if (t.endpoint.empty()) {
    return {};
  }
  auto endpoint = trace::parse_endpoint(t.endpoint);
  if (!endpoint) {
    return endpoint.error();
  }
  auto sampler = trace::parse_sampler(t.sampler, "");
  if (!sampler) {
    return sampler.error();
  }
  sampler->ratio = t.sampler_arg;
  auto extra = trace::parse_resource_attributes(t.resource_attributes);
  if (!extra) {
    return extra.error();
  }
  trace::resource_info resource;
  resource.scope_version = DS_VERSION;
  // OTEL_SERVICE_NAME wins over a service.name in the attributes (OTel).
  resource.attrs = {{"service.name", t.service_name},
                    {"service.version", std::string{DS_VERSION}},
                    {"telemetry.sdk.name", std::string{"dashstream"}},
                    {"telemetry.sdk.language", std::string{"cpp"}}};
  for (auto& kv : *extra) {
    if (kv.first != "service.name") {
      resource.attrs.push_back(std::move(kv));
    }
  }
  trace::exporter_config ec;
  ec.endpoint = std::move(*endpoint);
  ec.queue_max_spans = t.queue_max_spans;
  ec.batch_max_spans = t.batch_max_spans;
  ec.batch_interval = std::chrono::milliseconds{t.batch_interval_ms};
  ec.timeout = std::chrono::milliseconds{t.export_timeout_ms};
  trace_exporter_ = std::make_shared<trace::otlp_exporter>(
    std::move(ec), std::move(resource),
    std::make_shared<trace::exporter_probe>(registry_.get()));
  tracer_ = std::make_shared<const trace::tracer>(*sampler, trace_exporter_);
  diag::log_event(spdlog::level::info, "daemon",
                  {{"event", "tracing_enabled"},
                   {"endpoint", t.endpoint},
                   {"sampler", t.sampler},
                   {"sampler_arg", t.sampler_arg}});
  return {};
}

// Step 5, the pipeline: probes in the one registry, then the supervision
// tree. Root is one_for_all (its children only make sense together) ->
// egress, fan-out, cold reader, mirror, client sessions, health, DLQ writer,
// validators, partition readers, consumer, in the order they need each other.
caf::error daemon::start_pipeline() {
  const auto& c = cfg_;
  auto& reg = registry_.get();
  auto& p = *parts_;
  p.validator_probe = std::make_shared<actors::validator_probe>(reg);
  p.supervisor_probe = std::make_shared<actors::supervisor_probe>(reg);
  p.reader_probe = std::make_shared<actors::partition_reader_probe>(reg);
  registry_.exemplars().add(p.reader_probe->e2e_exemplars);
  p.consumer_probe = std::make_shared<actors::consumer_probe>(reg);
  p.breaker_probe = std::make_shared<actors::circuit_breaker_probe>(reg);
  p.clients_probe = std::make_shared<clients::clients_probe>(reg);
  p.dlq_recent = std::make_shared<recent_dlq>(c.dlq.recent_bytes);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < c.pipeline.validators; ++i) {
    names.push_back("validator-" + std::to_string(i));
  }
  p.reader_template = reader_template_of(c, std::move(names));
  p.reader_template.tracer = tracer_;
  std::vector<actors::child_spec> children{
    egress_child(parts_),          fanout_child(parts_),
    cold_reader_child(parts_),     mirror_child(parts_),
    client_sessions_child(parts_), health_child(parts_),
    dlq_writer_child(parts_),      validators_child(parts_),
    readers_child(parts_),         consumer_child(parts_)};
  if (c.quality.enabled) {
    // Right after the egress and the fan-out: like the fan-out, subscribed
    // before the consumer starts and any record passes.
    children.insert(children.begin() + 2, quality_child(parts_, reg));
  }
  root_ = system_->spawn(
    actors::supervisor,
    supervision(c, "root", actors::restart_strategy::one_for_all),
    p.supervisor_probe, std::move(children));
  root_->attach_functor([this](const caf::error& reason) {
    if (reason && !stopped_) {
      std::lock_guard<std::mutex> guard{failure_mtx_};
      failure_ = diag::describe(reason);
      failed_ = true;
    }
  });
  return {};
}

// Step 6, the operator endpoints, last: everything they report on exists.
caf::error daemon::start_http() {
  const auto& c = cfg_;
  http::server_config hc;
  hc.host = c.http.host;
  hc.port = c.http.port;
  hc.max_connections_per_ip = c.http.max_connections_per_ip;
  hc.write_timeout = std::chrono::seconds(c.http.send_timeout_secs);
  auto sc = session_config_of(c);
  clients::route_options ra;
  ra.max_connections_per_tenant = c.http.ws_max_connections_per_tenant;
  if (config::effective_auth_mode(c) == config::auth_mode::jwt) {
    keys_ = std::make_shared<auth::key_store>(key_settings_of(c.auth));
    if (auto err = keys_->reload()) {
      return err;
    }
    ra.keys = keys_;
  }
  hc.ws.max_message_bytes = c.http.ws_max_message_bytes;
  hc.ws.queue_max_bytes = c.http.ws_queue_max_bytes;
  hc.ws.queue_total_max_bytes = parts_->client_queue_bytes;
  // Room for a client at the backlog threshold plus a replay page and its
  // gap frames: the threshold, not this, is what disconnects a slow client.
  hc.ws.queue_max_items = 2 * (sc.slow_threshold + sc.replay_page) + 64;
  hc.ws.send_timeout = hc.write_timeout;
  http::router routes;
  routes.get("/metrics", http::metrics_handler(registry_, *process_));
  add_health_routes(routes);
  routes.get("/version", [body = version_json().dump()](const http::request&) {
    return http::response::json(200, body);
  });
  routes.post("/admin/threads/reset", [this](const http::request& req) {
    return admin_reset_thread(req);
  });
  routes.websocket("/ws",
                   clients::websocket_route(*system_, parts_->clients, sc,
                                            parts_->clients_probe, ra));
  if (auto err = add_ui_routes(routes, ui_sources_of())) {
    return err;
  }
  auto srv = http::server::start(hc, std::move(routes), registry_);
  if (!srv) {
    return srv.error();
  }
  http_ = std::move(*srv);
  return {};
}

// The browser UI's data: a sampler of the registry, the DLQ view's recent
// records, and the health board's status.
ui_sources daemon::ui_sources_of() {
  stats_ = std::make_shared<stats_sampler>(
    registry_.get(), std::chrono::milliseconds(cfg_.http.stats_interval_ms),
    std::chrono::seconds(cfg_.http.stats_history_secs));
  ui_sources src;
  src.stats = stats_;
  src.dlq = parts_->dlq_recent;
  src.keys = keys_;
  src.health = [board = parts_->board] {
    auto r = board->snapshot();
    std::string reason;
    for (const auto& x : r->reasons) {
      reason += (reason.empty() ? "" : "; ") + x;
    }
    return nlohmann::json{{"status", std::string{actors::to_string(r->status)}},
                          {"reason", reason}}
      .dump();
  };
  src.ui_dir = ui_dir_of(cfg_.http.ui_dir);
  return src;
}

// /health and /ready read the health board's snapshot, never an actor.
void daemon::add_health_routes(http::router& routes) {
  auto board = parts_->board;
  auto parts = parts_;
  routes.get("/health", [board, parts](const http::request&) {
    auto r = board->snapshot();
    auto body = r->to_json();
    // The client half: serving while its actors are up.
    bool up = parts->clients->fanout.get() && parts->clients->sessions.get();
    body["websocket_status"] = up ? "serving" : "restarting";
    body["websocket_clients"] = static_cast<uint64_t>(
      parts->clients_probe ? parts->clients_probe->sessions.Value() : 0);
    return http::response::json(r->http_status(), body.dump());
  });
  routes.get("/ready", [board](const http::request&) {
    // Ready = partitions assigned and the breaker closed or probing:
    // what a load balancer or an orchestrator needs to know.
    auto r = board->snapshot();
    bool ready = r->status == actors::health_status::healthy ||
                 r->status == actors::health_status::degraded;
    nlohmann::json body{{"ready", ready},
                        {"status", std::string{actors::to_string(r->status)}},
                        {"reasons", r->reasons}};
    return http::response::json(ready ? 200 : 503, body.dump());
  });
}

bool daemon::responsive(std::chrono::milliseconds timeout) {
  auto health = parts_->handles.health.get();
  if (!health) {
    return false;
  }
  caf::scoped_actor self{*system_};
  bool answered = false;
  self->request(health, timeout, actors::get_atom::value)
    .receive([&](uint8_t) { answered = true; }, [](caf::error&) {});
  return answered;
}

nlohmann::json daemon::version_json() const {
  const auto& c = cfg_;
  return {{"git_sha", DS_GIT_SHA},
          {"build_date", DS_BUILD_DATE},
          {"version", DS_VERSION},
          {"schema_version", 1},
          {"component", "dashstream"},
          {"resume_namespace", c.kafka.topic + "/" + c.kafka.group_id},
          {"kafka_topic", c.kafka.topic},
          {"kafka_group_id", c.kafka.group_id},
          {"max_payload_bytes", std::to_string(c.kafka.max_payload_bytes)},
          {"decode_error_policy",
           std::string{config::to_string(c.kafka.on_decode_error)}}};
}

// Operator action: lift a halt (validation.policy = halt) for one thread.
// POST only, loopback clients only (the port may be exposed for /metrics);
// it waits for the owning validator, bounded by 2 s.
http::response daemon::admin_reset_thread(const http::request& req) {
  if (req.remote_address != "127.0.0.1" && req.remote_address != "::1") {
    return http::response::error(403, "forbidden",
                                 "admin routes answer loopback clients only");
  }
  auto id = req.query_param("thread_id");
  if (!id || id->empty() || id->size() > cfg_.validation.max_thread_id_bytes) {
    return http::response::error(
      400, "bad_thread_id",
      "thread_id must be given, 1.." +
        std::to_string(cfg_.validation.max_thread_id_bytes) + " bytes");
  }
  auto known = reset_thread(*id, std::chrono::seconds(2));
  if (!known) {
    return http::response::error(503, "unavailable",
                                 diag::describe(known.error()));
  }
  diag::log_event(
    spdlog::level::info, "daemon",
    {{"event", "thread_reset"}, {"thread_id", *id}, {"known", *known}});
  return http::response::json(
    200, nlohmann::json{{"thread_id", *id}, {"known", *known}}.dump());
}

std::shared_ptr<const actors::health_report> daemon::health() const {
  return parts_->board->snapshot();
}

caf::error daemon::reload_keys() {
  if (!keys_) {
    return {};
  }
  auto err = keys_->reload();
  diag::log_event(err ? spdlog::level::err : spdlog::level::info, "auth",
                  {{"event", err ? "keys_reload_failed" : "keys_reloaded"},
                   {"detail", err ? diag::describe(err) : ""}});
  return err;
}

actors::egress_actor daemon::egress() const {
  return parts_->handles.egress.get();
}

uint16_t daemon::http_port() const noexcept {
  return http_ ? http_->port() : 0;
}

caf::actor daemon::child(const std::string& name) {
  caf::scoped_actor self{*system_};
  caf::actor result;
  self->request(root_, std::chrono::seconds(5), actors::get_atom::value, name)
    .receive([&](caf::actor& h) { result = h; }, [](caf::error&) {});
  return result;
}

caf::expected<actors::consumer_stats>
daemon::consumer_stats(std::chrono::milliseconds timeout) {
  auto c = child("consumer");
  if (!c) {
    return caf::make_error(caf::sec::request_receiver_down,
                           "consumer not running");
  }
  caf::scoped_actor self{*system_};
  caf::expected<actors::consumer_stats> result{caf::sec::request_timeout};
  self->request(c, timeout, actors::stats_atom::value)
    .receive([&](actors::consumer_stats& s) { result = std::move(s); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<bool> daemon::reset_thread(const std::string& thread_id,
                                         std::chrono::milliseconds timeout) {
  auto sup = parts_->handles.validators.get();
  if (!sup) {
    return caf::make_error(caf::sec::request_receiver_down,
                           "validators not running");
  }
  const auto& names = parts_->reader_template.validator_names;
  auto idx =
    actors::validator_index(thread_id, static_cast<uint32_t>(names.size()));
  caf::scoped_actor self{*system_};
  caf::expected<bool> result{caf::sec::request_timeout};
  self->request(sup, timeout, actors::get_atom::value, names[idx])
    .receive(
      [&](caf::actor& v) {
        self
          ->request(actors::typed_handle<actors::validator_actor>(v), timeout,
                    actors::reset_atom::value, thread_id)
          .receive([&](bool known) { result = known; },
                   [&](caf::error& err) { result = std::move(err); });
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::string daemon::failure() const {
  std::lock_guard<std::mutex> guard{failure_mtx_};
  return failure_;
}

void daemon::stop() {
  if (stopped_ || !system_) {
    return;
  }
  stopped_ = true;
  auto timeout = std::chrono::seconds(cfg_.pipeline.shutdown_timeout_secs);
  caf::scoped_actor self{*system_};
  // 1. The consumer leaves the group: readers drain, final offsets commit.
  if (auto c = child("consumer")) {
    self->monitor(c);
    self->send(c, actors::stop_atom::value);
    self->receive([](caf::down_msg&) {},
                  caf::after(timeout) >>
                    [] {
                      diag::log_event(spdlog::level::warn, "daemon",
                                      {{"event", "consumer_stop_timeout"}});
                    });
  }
  // 2. Everything else, children before parents.
  self->send_exit(root_, caf::exit_reason::user_shutdown);
  root_ = actors::supervisor_actor{};
  diag::log_event(spdlog::level::info, "daemon", {{"event", "stopped"}});
}

daemon::~daemon() {
  stop();
  http_.reset(); // handlers read the health monitor and the registry
  parts_.reset();
  system_.reset(); // waits for all actors (the consumer feeds health)
  if (dlq_) {
    dlq_->stop(); // bounded; what Kafka did not take stays spooled
  }
}

} // namespace ds::app
