#include "app/daemon.hpp"

#include "build_info.hpp" // generated: DS_GIT_SHA, DS_BUILD_DATE

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/circuit_breaker_actor.hpp"
#include "actors/dlq_writer.hpp"
#include "actors/partition_reader.hpp"
#include "actors/validator.hpp"
#include "app/allocator_governor.hpp"
#include "app/health_monitor.hpp"
#include "app/kafka_record_source.hpp"
#include "app/memory_plan.hpp"
#include "proto/errc.hpp"
#include "runtime/dlq/envelope.hpp"
#include "runtime/dlq/errc.hpp"
#include "runtime/http/metrics_endpoint.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/group_consumer.hpp"

namespace ds::app {

namespace {

void log_event(spdlog::level::level_enum lvl, nlohmann::json line) {
  line["component"] = "daemon";
  spdlog::log(
    lvl, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

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

/// What the consumer thread tells the breaker actor: every poll with
/// infrastructure errors, but a reachable broker only when it is news (the
/// last report was a failure) or every 100 ms, so a busy consumer does not
/// send a message per poll.
struct poll_forwarder {
  std::chrono::steady_clock::time_point next_ok{};
  bool last_failed = false;

  void forward(const actors::breaker_actor& breaker,
               const actors::record_source::poll_result& r) {
    if (!breaker) {
      return;
    }
    if (!r.infra_errors.empty()) {
      caf::anon_send(breaker, actors::broker_failure_atom::value,
                     static_cast<uint32_t>(r.infra_errors.size()));
      last_failed = true;
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (r.broker_reachable && (last_failed || now >= next_ok)) {
      caf::anon_send(breaker, actors::broker_ok_atom::value);
      last_failed = false;
      next_ok = now + std::chrono::milliseconds(100);
    }
  }
};

} // namespace

// Handles of the root supervisor's children, as the siblings that started
// after them need them. Start functions and on_start callbacks all run
// inside the root supervisor, one at a time, so no lock is needed for the
// handles; `first_consumer` is handed over once under the mutex.
struct daemon_wiring {
  // The consumer thread reads this on every poll, the root supervisor
  // writes it on each (re)start: the one handle behind a lock.
  std::mutex breaker_mtx;
  actors::breaker_actor breaker;
  // Partition readers read this for each rejected record (same lock).
  actors::dlq_actor dlq;
  std::shared_ptr<actors::circuit_breaker_probe> breaker_probe;
  actors::supervisor_actor validators;
  actors::supervisor_actor readers;
  std::vector<std::string> validator_names;
  std::mutex mtx;
  std::unique_ptr<kafka::group_consumer> first_consumer;
  std::shared_ptr<actors::validator_probe> validator_probe;
  std::shared_ptr<actors::supervisor_probe> supervisor_probe;
  std::shared_ptr<actors::partition_reader_probe> reader_probe;
  std::shared_ptr<actors::consumer_probe> consumer_probe;
};

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
  const auto& c = d->cfg_;
  d->process_ = std::make_unique<metrics::process_probe>(
    d->registry_.get(), metrics::build_info{DS_VERSION, DS_GIT_SHA, "1"});
  // 1. Kafka: the configured cluster, or an embedded one.
  d->brokers_ = c.kafka.brokers;
  if (d->brokers_.empty()) {
    auto mock = kafka::mock_cluster::make(1);
    if (!mock) {
      return mock.error();
    }
    for (const auto& t : {c.kafka.topic, config::effective_dlq_topic(c)}) {
      if (auto err = (*mock)->create_topic(t, embedded_partitions)) {
        return err;
      }
    }
    d->brokers_ = (*mock)->bootstrap();
    d->embedded_ = std::move(*mock);
    log_event(spdlog::level::info, {{"event", "embedded_broker_started"},
                                    {"brokers", d->brokers_},
                                    {"partitions", embedded_partitions}});
  }
  auto kcfg = client_config_from(c.kafka);
  kcfg.brokers = d->brokers_;
  kafka::consumer_settings cs;
  cs.client = kcfg;
  cs.group_id = c.kafka.group_id;
  cs.topic = c.kafka.topic;
  cs.auto_offset_reset =
    std::string{config::to_string(c.kafka.auto_offset_reset)};
  cs.session_timeout_ms = static_cast<int>(c.kafka.session_timeout_ms);
  if (d->embedded_) {
    cs.client.properties.try_emplace(
      "fetch.wait.max.ms", kafka::mock_cluster::consumer_fetch_wait_max_ms);
  }
  auto memory = plan_memory(c.pipeline.memory_budget_bytes);
  d->allocator_ = std::make_unique<allocator_governor>(
    memory.allocator_kept_max, allocator_check_interval, d->registry_.get());
  // Explicit kafka.properties win over the plan.
  cs.client.properties.try_emplace("queued.max.messages.kbytes",
                                   std::to_string(memory.prefetch_kbytes));
  cs.client.properties.try_emplace("queued.min.messages",
                                   std::to_string(memory.prefetch_messages));
  cs.client.properties.try_emplace("fetch.max.bytes",
                                   std::to_string(memory.fetch_bytes));
  // What the budget bought, as librdkafka gets it: a slow backlog is
  // explained by these (docs/tuning.md, pipeline.memory_budget_bytes).
  const auto& props = cs.client.properties;
  log_event(
    spdlog::level::info,
    {{"event", "memory_plan"},
     {"budget_bytes", c.pipeline.memory_budget_bytes},
     {"fixed_bytes", process_fixed_bytes},
     {"in_flight_bytes_max", memory.held_max},
     {"allocator_kept_max", memory.allocator_kept_max},
     {"queued.min.messages", props.at("queued.min.messages")},
     {"queued.max.messages.kbytes", props.at("queued.max.messages.kbytes")},
     {"fetch.max.bytes", props.at("fetch.max.bytes")}});
  // Bad Kafka settings surface here, before any actor starts.
  auto first = kafka::group_consumer::make(cs);
  if (!first) {
    return first.error();
  }
  // 2. The actor system.
  d->system_cfg_ = std::make_unique<caf::actor_system_config>();
  auto& scfg = *d->system_cfg_;
  auto threads = c.pipeline.scheduler_threads != 0
                   ? c.pipeline.scheduler_threads
                   : std::max(1u, std::thread::hardware_concurrency());
  scfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  scfg.set("logger.file-verbosity", caf::atom("quiet"));
  scfg.set("logger.console-verbosity", caf::atom("quiet"));
  d->system_ = std::make_unique<caf::actor_system>(scfg);
  // 3. Probes: one registry, everything in it exported.
  auto w = std::make_shared<daemon_wiring>();
  d->wiring_ = w;
  auto& reg = d->registry_.get();
  w->validator_probe = std::make_shared<actors::validator_probe>(reg);
  w->supervisor_probe = std::make_shared<actors::supervisor_probe>(reg);
  w->reader_probe = std::make_shared<actors::partition_reader_probe>(reg);
  w->consumer_probe = std::make_shared<actors::consumer_probe>(reg);
  w->first_consumer = std::move(*first);
  // The DLQ topic, if the cluster lacks it (same partition count as the
  // source, the broker's replication default). Not fatal: until it exists
  // the sink spools, and the drainer delivers later.
  // Asked first: a broker without CreateTopics (the embedded mock) would
  // hold startup for the whole create timeout.
  auto dlq_topic = config::effective_dlq_topic(c);
  auto dlq_exists = [&] {
    auto exists = kafka::topic_exists(kcfg, dlq_topic, std::chrono::seconds(5));
    return exists && *exists;
  };
  if (!d->embedded_ && !dlq_exists()) {
    auto parts =
      kafka::partition_count(kcfg, c.kafka.topic, std::chrono::seconds(5));
    if (auto err = kafka::create_topic(kcfg, dlq_topic, parts ? *parts : 1, -1,
                                       std::chrono::seconds(10))) {
      log_event(spdlog::level::warn, {{"event", "dlq_topic_create_failed"},
                                      {"topic", dlq_topic},
                                      {"error", dlq::describe(err)}});
    }
  }
  // The DLQ sink: Kafka first, the local spool when Kafka is slow or down.
  // A spool left by an earlier run is recovered and drained from here on.
  auto sink = dlq::sink::open(c, kcfg, reg);
  if (!sink) {
    return sink.error();
  }
  d->dlq_ = std::move(*sink);
  auto* dlq_sink = d->dlq_.get();
  w->breaker_probe = std::make_shared<actors::circuit_breaker_probe>(reg);
  d->health_ =
    std::make_unique<health_monitor>(c, w->reader_probe, w->consumer_probe);
  auto* health = d->health_.get();
  for (uint32_t i = 0; i < c.pipeline.validators; ++i) {
    w->validator_names.push_back("validator-" + std::to_string(i));
  }
  // 4. The supervision tree: root (one_for_all: its children only make
  // sense together) -> circuit breaker, validators, partition readers,
  // consumer.
  actors::sequence_checker_config checker{to_policy(c.validation.policy),
                                          c.validation.max_tracked_threads,
                                          c.validation.max_thread_id_bytes};
  auto validators_cfg =
    supervision(c, "validators", actors::restart_strategy::one_for_one);
  auto readers_cfg =
    supervision(c, "partition_readers", actors::restart_strategy::one_for_one);
  proto::decode_options decode;
  decode.mode = c.kafka.decode_mode == config::decode_strictness::strict
                  ? proto::decode_mode::strict
                  : proto::decode_mode::compatible;
  decode.max_decoded_bytes = c.kafka.max_payload_bytes;
  actors::consumer_config ccfg;
  ccfg.inflight_max = c.pipeline.partition_inflight_max;
  ccfg.inflight_low = c.pipeline.partition_inflight_low_water;
  ccfg.inflight_bytes_max = memory.held_max;
  ccfg.inflight_bytes_low = memory.held_low;
  ccfg.dispatch_window_bytes = c.pipeline.dispatch_window_bytes;
  ccfg.window_poll_interval =
    std::chrono::milliseconds(c.pipeline.dispatch_window_poll_ms);
  ccfg.drain_timeout = std::chrono::seconds(c.pipeline.shutdown_timeout_secs);
  ccfg.lag_interval = std::chrono::seconds(c.kafka.lag_check_interval_secs);
  ccfg.watermark_timeout =
    std::chrono::milliseconds(c.kafka.watermark_timeout_ms);
  actors::circuit_breaker_config breaker_cfg;
  breaker_cfg.failure_threshold = c.breaker.failure_threshold;
  breaker_cfg.open_duration = std::chrono::seconds(c.breaker.open_secs);
  breaker_cfg.half_open_probes = c.breaker.half_open_probes;
  std::vector<actors::child_spec> children;
  children.push_back(
    {"circuit_breaker", "circuit_breaker",
     [w, breaker_cfg, health](caf::actor_system& sys) {
       return caf::actor_cast<caf::actor>(
         sys.spawn(actors::circuit_breaker_actor, breaker_cfg, w->breaker_probe,
                   actors::breaker_publisher{[health](actors::breaker_state s) {
                     health->set_breaker(s);
                   }},
                   std::chrono::milliseconds{1000}));
     },
     actors::restart_policy::permanent,
     [w](const caf::actor& h) {
       std::lock_guard<std::mutex> guard{w->breaker_mtx};
       w->breaker = caf::actor_cast<actors::breaker_actor>(h);
     }});
  children.push_back(
    {"dlq_writer", "dlq_writer",
     [dlq_sink, health](caf::actor_system& sys) {
       actors::dlq_port port;
       port.submit = [dlq_sink](std::span<dlq::sink::submission> batch) {
         dlq_sink->submit(batch);
       };
       port.status = [dlq_sink] { return dlq_sink->status(); };
       // Its own thread: every rejected record passes through it, and on
       // the shared workers it queued behind readers draining deep
       // mailboxes (max-throughput is unbounded), holding DLQ records back
       // 50-130 ms at a time while they piled up in memory.
       return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
         actors::dlq_writer, std::move(port),
         actors::dlq_publisher{
           [health](const std::string& why) { health->set_dlq_refusal(why); }},
         caf::timespan{std::chrono::milliseconds(500)}));
     },
     actors::restart_policy::permanent,
     [w](const caf::actor& h) {
       std::lock_guard<std::mutex> guard{w->breaker_mtx};
       w->dlq = caf::actor_cast<actors::dlq_actor>(h);
     }});
  children.push_back(
    {"validators", "supervisor",
     [w, validators_cfg, checker](caf::actor_system& sys) {
       std::vector<actors::child_spec> specs;
       for (const auto& name : w->validator_names) {
         specs.push_back({name, "validator",
                          [w, checker](caf::actor_system& s) {
                            return caf::actor_cast<caf::actor>(s.spawn(
                              actors::validator, checker, w->validator_probe));
                          },
                          actors::restart_policy::permanent, nullptr});
       }
       return caf::actor_cast<caf::actor>(
         sys.spawn(actors::supervisor, validators_cfg, w->supervisor_probe,
                   std::move(specs)));
     },
     actors::restart_policy::permanent,
     [w](const caf::actor& h) {
       w->validators = caf::actor_cast<actors::supervisor_actor>(h);
     }});
  children.push_back({"partition_readers", "supervisor",
                      [w, readers_cfg](caf::actor_system& sys) {
                        return caf::actor_cast<caf::actor>(sys.spawn(
                          actors::supervisor, readers_cfg, w->supervisor_probe,
                          std::vector<actors::child_spec>{}));
                      },
                      actors::restart_policy::permanent,
                      [w](const caf::actor& h) {
                        w->readers =
                          caf::actor_cast<actors::supervisor_actor>(h);
                      }});
  children.push_back(
    {"consumer", "consumer",
     [w, cs, ccfg, decode, health, poison_max = c.dlq.poison_max_crashes,
      format = dlq::record_format_of(c)](caf::actor_system& sys) -> caf::actor {
       std::unique_ptr<kafka::group_consumer> gc;
       {
         std::lock_guard<std::mutex> guard{w->mtx};
         gc = std::move(w->first_consumer);
       }
       if (!gc) { // a restart: join the group afresh
         auto fresh = kafka::group_consumer::make(cs);
         if (!fresh) {
           // The error travels as an argument, not a capture: CAF 0.17
           // binds a null reference for argument-less function actors.
           return sys.spawn(
             [](caf::event_based_actor* self, caf::error e) {
               self->quit(std::move(e));
               return caf::behavior{};
             },
             fresh.error());
         }
         gc = std::move(*fresh);
       }
       auto deps = std::make_shared<actors::consumer_deps>();
       deps->source = std::make_unique<kafka_record_source>(std::move(gc));
       deps->readers = w->readers;
       deps->reader_probe = w->reader_probe;
       deps->probe = w->consumer_probe;
       deps->on_poll = [health, w, fwd = std::make_shared<poll_forwarder>()](
                         const actors::record_source::poll_result& r) {
         health->on_poll(r);
         actors::breaker_actor breaker;
         {
           std::lock_guard<std::mutex> guard{w->breaker_mtx};
           breaker = w->breaker;
         }
         fwd->forward(breaker, r);
       };
       auto validators = w->validators;
       auto names = w->validator_names;
       deps->reader_config = [validators, names, decode, w, topic = cs.topic,
                              group = cs.group_id, poison = poison_max,
                              format](int32_t) {
         actors::partition_reader_config rc;
         rc.decode = decode;
         rc.validator_names = names;
         rc.validators_supervisor = validators;
         rc.dlq = [w] {
           std::lock_guard<std::mutex> guard{w->breaker_mtx};
           return w->dlq;
         };
         rc.topic = topic;
         rc.group_id = group;
         rc.poison_max_crashes = poison;
         rc.dlq_format = format;
         return rc;
       };
       return sys.spawn(actors::consumer, ccfg, std::move(deps));
     },
     // A consumer that stopped on request stays stopped.
     actors::restart_policy::transient, nullptr});
  auto root_cfg = supervision(c, "root", actors::restart_strategy::one_for_all);
  d->root_ = d->system_->spawn(actors::supervisor, root_cfg,
                               w->supervisor_probe, std::move(children));
  auto* raw = d.get();
  d->root_->attach_functor([raw](const caf::error& reason) {
    if (reason && !raw->stopped_) {
      std::lock_guard<std::mutex> guard{raw->failure_mtx_};
      // Our own errors by name ("restart_intensity_exceeded: ..."); CAF
      // would render the category's code as a bare number.
      raw->failure_ =
        actors::to_errc(reason) != actors::errc::none
          ? std::string{actors::to_string(actors::to_errc(reason))} + ": " +
              proto::error_detail(reason)
          : raw->system_->render(reason);
      raw->failed_ = true;
    }
  });
  // 5. Operator endpoints, last: everything they report on exists now.
  if (auto err = d->start_http()) {
    return err;
  }
  log_event(spdlog::level::info,
            {{"event", "started"},
             {"http", c.http.host + ":" + std::to_string(d->http_port())},
             {"brokers", d->brokers_},
             {"topic", c.kafka.topic},
             {"group_id", c.kafka.group_id},
             {"validators", c.pipeline.validators},
             {"scheduler_threads", threads}});
  return d;
}

caf::error daemon::start_http() {
  const auto& c = cfg_;
  http::server_config hc;
  hc.host = c.http.host;
  hc.port = c.http.port;
  hc.max_connections_per_ip = c.http.max_connections_per_ip;
  hc.write_timeout = std::chrono::seconds(c.http.send_timeout_secs);
  http::router routes;
  routes.get("/metrics", http::metrics_handler(registry_, *process_));
  auto* health = health_.get();
  routes.get("/health", [health](const http::request&) {
    auto r = health->snapshot();
    return http::response::json(r->http_status(), r->to_json().dump());
  });
  routes.get("/ready", [health](const http::request&) {
    // Ready = partitions assigned and the breaker closed or probing:
    // what a load balancer or an orchestrator needs to know.
    auto r = health->snapshot();
    bool ready = r->status == actors::health_status::healthy ||
                 r->status == actors::health_status::degraded;
    nlohmann::json body{{"ready", ready},
                        {"status", std::string{actors::to_string(r->status)}},
                        {"reasons", r->reasons}};
    return http::response::json(ready ? 200 : 503, body.dump());
  });
  nlohmann::json version{
    {"git_sha", DS_GIT_SHA},
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
  routes.get("/version", [body = version.dump()](const http::request&) {
    return http::response::json(200, body);
  });
  // Operator action: lift a halt (validation.policy = halt) for one thread.
  // POST only, loopback clients only (the port may be exposed for
  // /metrics); it waits for the owning validator, bounded by 2 s.
  routes.post("/admin/threads/reset", [this](const http::request& req) {
    if (req.remote_address != "127.0.0.1" && req.remote_address != "::1") {
      return http::response::error(403, "forbidden",
                                   "admin routes answer loopback clients only");
    }
    auto id = req.query_param("thread_id");
    if (!id || id->empty() ||
        id->size() > cfg_.validation.max_thread_id_bytes) {
      return http::response::error(
        400, "bad_thread_id",
        "thread_id must be given, 1.." +
          std::to_string(cfg_.validation.max_thread_id_bytes) + " bytes");
    }
    auto known = reset_thread(*id, std::chrono::seconds(2));
    if (!known) {
      return http::response::error(503, "unavailable",
                                   system_->render(known.error()));
    }
    log_event(
      spdlog::level::info,
      {{"event", "thread_reset"}, {"thread_id", *id}, {"known", *known}});
    return http::response::json(
      200, nlohmann::json{{"thread_id", *id}, {"known", *known}}.dump());
  });
  auto srv = http::server::start(hc, std::move(routes), registry_);
  if (!srv) {
    return srv.error();
  }
  http_ = std::move(*srv);
  return {};
}

std::shared_ptr<const actors::health_report> daemon::health() const {
  return health_->snapshot();
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
  auto sup = caf::actor_cast<actors::supervisor_actor>(child("validators"));
  if (!sup) {
    return caf::make_error(caf::sec::request_receiver_down,
                           "validators not running");
  }
  auto idx = actors::validator_index(
    thread_id, static_cast<uint32_t>(wiring_->validator_names.size()));
  caf::scoped_actor self{*system_};
  caf::expected<bool> result{caf::sec::request_timeout};
  self
    ->request(sup, timeout, actors::get_atom::value,
              wiring_->validator_names[idx])
    .receive(
      [&](caf::actor& v) {
        self
          ->request(caf::actor_cast<actors::validator_actor>(v), timeout,
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
    self->receive(
      [](caf::down_msg&) {},
      caf::after(timeout) >>
        [] {
          log_event(spdlog::level::warn, {{"event", "consumer_stop_timeout"}});
        });
  }
  // 2. Everything else, children before parents.
  self->send_exit(root_, caf::exit_reason::user_shutdown);
  root_ = actors::supervisor_actor{};
  log_event(spdlog::level::info, {{"event", "stopped"}});
}

daemon::~daemon() {
  stop();
  http_.reset(); // handlers read the health monitor and the registry
  wiring_.reset();
  system_.reset(); // waits for all actors (the consumer feeds health)
  if (dlq_) {
    dlq_->stop(); // bounded; what Kafka did not take stays spooled
  }
  health_.reset();
}

} // namespace ds::app
