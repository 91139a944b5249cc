#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/command.hpp"
#include "app/config_options.hpp"
#include "app/daemon.hpp"
#include "app/exit_code.hpp"
#include "app/logging.hpp"
#include "app/service_notifier.hpp"
#include "app/signals.hpp"
#include "diag/errc.hpp"
#include "diag/log.hpp"
#include "runtime/auth/signer.hpp"
#include "runtime/kafka/errc.hpp"

namespace ds::app {

namespace {

struct demo_options {
  double rate = 200;     // messages per second from the synthetic producer
  int duration_secs = 0; // 0: until Ctrl-C
  int partitions = 6;
  /// Minted by demo_auth() when the demo made its own JWT secret.
  std::string admin_token;
  std::string tenant_token;
  /// The secret's file, removed when the demo ends.
  std::filesystem::path secret_file;
};

// The demo shows tenants at work: unless the configuration chose auth
// itself, it makes a fresh HS256 secret (a 0600 file under the temp
// directory) and mints a 24 h admin token and a tenant-0 token to print.
// Returns what went wrong, or "".
std::string demo_auth(config::daemon_config& cfg, demo_options& demo) {
  if (cfg.auth.mode != config::auth_mode::automatic ||
      config::has_auth_key(cfg.auth)) {
    return {};
  }
  auto secret = auth::random_secret();
  if (!secret) {
    return diag::describe(secret.error());
  }
  auto file = std::filesystem::temp_directory_path() /
              ("dashstream-demo-" + std::to_string(::getpid()) + ".secret");
  {
    std::ofstream out{file, std::ios::trunc};
    out << *secret;
    if (!out) {
      return "cannot write the demo's secret to " + file.string();
    }
  }
  std::filesystem::permissions(file, std::filesystem::perms::owner_read |
                                       std::filesystem::perms::owner_write);
  cfg.auth.hs256_secret_file = file.string();
  demo.secret_file = file;
  if (cfg.auth.admin_claim.empty()) {
    cfg.auth.admin_claim = "dashstream_admin";
  }
  constexpr std::chrono::hours ttl{24};
  auto admin = auth::sign_hs256(*secret, {{cfg.auth.admin_claim, true}}, ttl);
  auto tenant =
    auth::sign_hs256(*secret, {{cfg.auth.tenant_claim, "tenant-0"}}, ttl);
  if (!admin || !tenant) {
    return diag::describe(admin ? tenant.error() : admin.error());
  }
  demo.admin_token = std::move(*admin);
  demo.tenant_token = std::move(*tenant);
  return {};
}

double metric(prometheus::Registry& reg, const std::string& name,
              const std::string& label = {}, const std::string& value = {}) {
  double total = 0;
  for (const auto& fam : reg.Collect()) {
    if (fam.name != name) {
      continue;
    }
    for (const auto& m : fam.metric) {
      bool match = label.empty();
      for (const auto& lp : m.label) {
        match = match || (lp.name == label && lp.value == value);
      }
      if (match) {
        total += fam.type == prometheus::MetricType::Gauge ? m.gauge.value
                                                           : m.counter.value;
      }
    }
  }
  return total;
}

// `produced` < 0: not known yet (the producer reports per round).
void print_status(daemon& d, int64_t produced) {
  auto& reg = d.registry();
  if (produced >= 0) {
    std::fprintf(stderr, "produced %lld | ", static_cast<long long>(produced));
  }
  std::fprintf(stderr,
               "processed %.0f (ok %.0f, decode errors %.0f) "
               "| gaps %.0f, duplicates %.0f, reorders %.0f | lag %.0f\n",
               metric(reg, "dashstream_records_total"),
               metric(reg, "dashstream_records_total", "outcome", "ok"),
               metric(reg, "dashstream_decode_errors_total"),
               metric(reg, "dashstream_sequence_gaps_total"),
               metric(reg, "dashstream_sequence_duplicates_total"),
               metric(reg, "dashstream_sequence_reorders_total"),
               metric(reg, "dashstream_consumer_lag_messages"));
}

// Ends the process if shutdown has not finished by the deadline.
class shutdown_watchdog {
public:
  explicit shutdown_watchdog(std::chrono::seconds limit)
    : thread_([this, limit] {
        std::unique_lock<std::mutex> guard{mtx_};
        if (!cv_.wait_for(guard, limit, [this] { return done_; })) {
          diag::log_event(spdlog::level::err, "run",
                          {{"event", "shutdown_deadline_exceeded"},
                           {"limit_secs", limit.count()}});
          spdlog::default_logger()->flush();
          std::_Exit(exit_failure);
        }
      }) {}

  ~shutdown_watchdog() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  shutdown_watchdog(const shutdown_watchdog&) = delete;
  shutdown_watchdog& operator=(const shutdown_watchdog&) = delete;

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Runs the daemon until a stop signal, its own failure, or `duration`.
// auth.mode = none lets any client see every tenant: only on a loopback
// bind, where only this machine's users can connect.
std::optional<std::string> check_auth_bind(const config::daemon_config& cfg) {
  if (config::effective_auth_mode(cfg) != config::auth_mode::none) {
    return std::nullopt;
  }
  const auto& host = cfg.http.host;
  in_addr v4{};
  in6_addr v6{};
  bool loopback =
    host == "localhost" ||
    (inet_pton(AF_INET, host.c_str(), &v4) == 1 &&
     (ntohl(v4.s_addr) >> 24) == 127) ||
    (inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6));
  if (loopback) {
    return std::nullopt;
  }
  return "auth.mode = none (no key configured) lets every WebSocket client "
         "see every tenant; it is allowed only on a loopback http.host, not " +
         host +
         ". Configure a key ([auth] hs256_secret_file, "
         "public_key_file or jwks_file) or bind to 127.0.0.1.";
}

// With `demo`, a synthetic producer feeds it meanwhile.
int run_daemon(const config::loaded_config& loaded, const demo_options* demo,
               const demo_traffic_fn& traffic) {
  auto& cfg = loaded.config;
  configure_logging(cfg.log);
  for (const auto& w : loaded.warnings) {
    diag::log_event(spdlog::level::warn, "run",
                    {{"event", "config_warning"}, {"msg", w}});
  }
  if (auto err = check_auth_bind(cfg)) {
    std::cerr << "error: " << *err << '\n';
    return exit_config;
  }
  // Before any thread exists, so only our wait sees SIGINT/SIGTERM/SIGHUP.
  auto stop = stop_signals::block();
  auto d = daemon::start(cfg, demo != nullptr ? demo->partitions : 6);
  if (!d) {
    auto code = kafka::to_errc(d.error());
    if (code == kafka::errc::authentication_failed ||
        code == kafka::errc::tls_failed) {
      // The detail is the whole story: who, where, why and what to check.
      std::cerr << "error: cannot start: " << diag::error_detail(d.error())
                << '\n';
      return exit_noperm;
    }
    std::cerr << "error: cannot start: " << diag::describe(d.error()) << '\n';
    return exit_failure;
  }
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> produced{0};
  std::thread producer_thread;
  if (demo != nullptr) {
    std::cerr << "DashStream demo: embedded Kafka at " << (*d)->brokers()
              << ", topic " << cfg.kafka.topic << ", a synthetic producer at "
              << demo->rate << " msg/s with a few injected faults per "
              << "thousand, two tenants.\n";
    auto base =
      "http://" + cfg.http.host + ':' + std::to_string((*d)->http_port());
    if (!demo->admin_token.empty()) {
      std::cerr << "\n  Open the UI: " << base
                << "/#token=" << demo->admin_token
                << "\n  admin token (every tenant): " << demo->admin_token
                << "\n  tenant-0 token (only tenant-0): " << demo->tenant_token
                << "\n\n";
    } else {
      std::cerr << "\n  Open the UI: " << base << "/\n\n";
    }
    std::cerr << "Also " << base << "/metrics, /health, /ready, /version and "
              << "/api/stats. Follow the records: dashstream tail --port "
              << (*d)->http_port()
              << (demo->admin_token.empty() ? "" : " --token <admin token>")
              << " (--json, --thread T, --from earliest). Ctrl-C stops it.\n";
    producer_thread =
      std::thread([&, brokers = (*d)->brokers(), topic = cfg.kafka.topic] {
        traffic(brokers, topic, demo->rate, stopping, produced);
      });
  }
  service_notifier notifier{**d};
  std::string stop_reason = "the demo's duration ended";
  int rc = exit_ok;
  auto started = std::chrono::steady_clock::now();
  auto next_status = started + std::chrono::seconds(5);
  for (;;) {
    if (auto sig = stop.poll(); sig == SIGHUP) {
      static_cast<void>((*d)->reload_keys()); // logged; old keys stay
    } else if (sig != 0) {
      diag::log_event(spdlog::level::info, "run",
                      {{"event", "signal"}, {"signal", sig}});
      stop_reason = "signal " + std::to_string(sig);
      break;
    }
    if ((*d)->failed()) {
      std::cerr << "error: the pipeline gave up: " << (*d)->failure() << '\n';
      stop_reason = "the pipeline gave up";
      rc = exit_failure;
      break;
    }
    notifier.tick();
    auto now = std::chrono::steady_clock::now();
    if (demo != nullptr && now >= next_status) {
      print_status(**d, -1);
      next_status = now + std::chrono::seconds(5);
    }
    if (demo != nullptr && demo->duration_secs > 0 &&
        now - started >= std::chrono::seconds(demo->duration_secs)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Contract: stop within pipeline.shutdown_timeout_secs. The daemon bounds
  // each step, but a broker that stops answering can still hold librdkafka's
  // close; past the deadline the process leaves anyway. Nothing is lost by
  // that: uncommitted offsets are simply read again (at-least-once).
  // Before the daemon stops: the watchdog thread asks its actors.
  notifier.stopping(stop_reason);
  auto stop_began = std::chrono::steady_clock::now();
  auto deadline = std::chrono::seconds(cfg.pipeline.shutdown_timeout_secs);
  shutdown_watchdog watchdog{deadline};
  stopping = true;
  if (producer_thread.joinable()) {
    producer_thread.join();
  }
  if (demo != nullptr) {
    print_status(**d, static_cast<int64_t>(produced.load()));
  }
  (*d)->stop();
  d->reset(); // the actor system joins its threads here
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - stop_began);
  diag::log_event(
    spdlog::level::info, "run",
    {{"event", "shutdown_complete"}, {"elapsed_ms", elapsed.count()}});
  return rc;
}

caf::expected<config::loaded_config> load(const config_options& opts, int& rc) {
  auto req = opts.request();
  if (!req) {
    std::cerr << "error: " << diag::describe(req.error()) << '\n';
    rc = exit_usage;
    return req.error();
  }
  auto loaded = config::load_with_sources(*req);
  if (!loaded) {
    std::cerr << "error: " << diag::describe(loaded.error()) << '\n';
    rc = exit_config;
  }
  return loaded;
}

} // namespace

void add_run_command(CLI::App& root, command_context& ctx) {
  auto opts = std::make_shared<config_options>();
  auto* run = root.add_subcommand(
    "run", "Run the daemon: consume, validate and serve the DashStream topic "
           "(with no brokers configured: the embedded demo)");
  opts->add_to(*run);
  run->callback([opts, &ctx] {
    int rc = exit_ok;
    auto loaded = load(*opts, rc);
    if (!loaded) {
      ctx.exit_status = rc;
      return;
    }
    demo_options demo;
    bool embedded = loaded->config.kafka.brokers.empty();
    ctx.exit_status = run_daemon(*loaded, embedded ? &demo : nullptr, ctx.demo);
  });

  auto dopts = std::make_shared<config_options>();
  auto demo = std::make_shared<demo_options>();
  auto* dcmd = root.add_subcommand(
    "demo", "Start an embedded Kafka broker, a synthetic producer with a few "
            "injected faults, and the daemon; print what it sees");
  dopts->add_to(*dcmd);
  dcmd->add_option("--rate", demo->rate, "Synthetic messages per second")
    ->check(CLI::Range(1.0, 1e6))
    ->capture_default_str();
  dcmd
    ->add_option("--duration", demo->duration_secs,
                 "Stop after this many seconds (0: until Ctrl-C)")
    ->check(CLI::Range(0, 86400))
    ->capture_default_str();
  dcmd
    ->add_option("--partitions", demo->partitions,
                 "Partitions of the embedded topic")
    ->check(CLI::Range(1, 64))
    ->capture_default_str();
  dcmd->callback([dopts, demo, &ctx] {
    int rc = exit_ok;
    auto loaded = load(*dopts, rc);
    if (!loaded) {
      ctx.exit_status = rc;
      return;
    }
    loaded->config.kafka.brokers.clear(); // always embedded
    if (auto err = demo_auth(loaded->config, *demo); !err.empty()) {
      std::cerr << "error: " << err << '\n';
      ctx.exit_status = exit_failure;
      return;
    }
    ctx.exit_status = run_daemon(*loaded, demo.get(), ctx.demo);
    if (!demo->secret_file.empty()) {
      std::error_code ec;
      std::filesystem::remove(demo->secret_file, ec);
    }
  });
}

} // namespace ds::app
