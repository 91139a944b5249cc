#include "tools/bench/runner.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <caf/detail/scope_guard.hpp>

#include <prometheus/registry.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "diag/errc.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/errc.hpp"
#include "tools/bench/fanout_floor.hpp"
#include "tools/bench/frame_reader.hpp"
#include "tools/bench/metrics_scrape.hpp"
#include "tools/bench/otlp_sink.hpp"
#include "tools/bench/raw_floor.hpp"
#include "tools/bench/window.hpp"
#include "tools/workload/corruption.hpp"
#include "tools/workload/mix.hpp"
#include "tools/workload/sender.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::bench {

std::string default_scenario_dir() {
  return DS_BENCH_SCENARIO_DIR;
}

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::chrono::seconds admin_timeout{15};
// What librdkafka's mock keeps per partition before it drops old segments.
constexpr double mock_partition_bytes = 5.0 * 1024 * 1024;

double seconds_since(steady::time_point t0, steady::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

double median(std::vector<double> xs) {
  if (xs.empty()) {
    return 0;
  }
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

std::string read_first_line(const std::string& path, const std::string& key) {
  std::ifstream in{path};
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return {};
}

json machine_info() {
  utsname u{};
  ::uname(&u);
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return {{"nproc", std::thread::hardware_concurrency()},
          {"cpu", read_first_line("/proc/cpuinfo", "model name")},
          {"mem_total", read_first_line("/proc/meminfo", "MemTotal")},
          {"kernel", std::string{u.sysname} + " " + u.release},
          {"loadavg_at_start", [] {
             std::ifstream in{"/proc/loadavg"};
             std::string s;
             std::getline(in, s);
             return s;
           }()}};
}

std::string utc_now() {
  auto t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

caf::expected<workload::workload_config>
make_workload(const scenario_workload& w) {
  workload::workload_config cfg;
  cfg.count = w.count;
  cfg.threads = w.threads;
  cfg.tenants = w.tenants;
  cfg.size = w.size;
  cfg.payload = w.payload == "random" ? workload::payload_kind::random
                                      : workload::payload_kind::text;
  if (!w.mix.empty()) {
    auto m = workload::parse_mix(w.mix);
    if (!m) {
      return make_error(errc::invalid_scenario,
                        "workload.mix: " + diag::error_detail(m.error()));
    }
    cfg.kinds = *m;
  }
  cfg.batch_threads = w.batch_threads;
  cfg.seed = w.seed;
  cfg.trace = w.traceparent == "auto" ? workload::trace_mode::random_per_record
                                      : workload::trace_mode::off;
  cfg.encode.compress = w.zstd;
  cfg.encode.compression_threshold = w.compression_threshold;
  struct amount {
    const char* key;
    const std::string& text;
    uint64_t& out;
  };
  for (auto [key, text, out] :
       {amount{"workload.gaps", w.gaps, cfg.gaps},
        amount{"workload.duplicates", w.duplicates, cfg.duplicates},
        amount{"workload.reorders", w.reorders, cfg.reorders}}) {
    auto n = workload::parse_amount(text, cfg.count);
    if (!n) {
      return make_error(errc::invalid_scenario,
                        std::string{key} + ": " +
                          diag::error_detail(n.error()));
    }
    out = *n;
  }
  auto corrupt = workload::parse_corruption_spec(w.corrupt, cfg.count);
  if (!corrupt) {
    return make_error(errc::invalid_scenario,
                      "workload.corrupt: " +
                        diag::error_detail(corrupt.error()));
  }
  cfg.corrupt = *corrupt;
  // Above the daemon's 10 MiB decode cap, small enough to build quickly.
  cfg.bomb_size = uint64_t{16} << 20;
  if (auto err = workload::validate(cfg)) {
    return make_error(errc::invalid_scenario,
                      "workload: " + diag::error_detail(err));
  }
  return cfg;
}

/// One sample of a running daemon.
struct sample {
  double t = 0; // seconds since the daemon was spawned
  daemon_metrics m;
  proc_sample proc;
};

/// One bench session: the broker, the topics, the child processes.
class session {
public:
  session(const scenario& sc, const run_options& opts) : sc_(sc), opts_(opts) {
    std::random_device rd;
    run_id_ = std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
  }

  caf::expected<json> run() {
    json result;
    result["scenario"] = scenario_json();
    result["environment"] = {{"date", utc_now()},
                             {"machine", machine_info()},
                             {"broker", opts_.brokers.empty()
                                          ? "embedded (librdkafka mock)"
                                          : opts_.brokers}};
    if (auto err = start_broker()) {
      return err;
    }
    auto wcfg = make_workload(sc_.workload);
    if (!wcfg) {
      return wcfg.error();
    }
    caf::error err;
    switch (sc_.mode) {
      case scenario_mode::throughput:
        err = run_throughput(*wcfg, result);
        break;
      case scenario_mode::latency:
        err = run_latency(*wcfg, result);
        break;
      case scenario_mode::sweep:
        err = run_sweep(*wcfg, result);
        break;
      case scenario_mode::bad_records:
        err = run_bad_records(*wcfg, result);
        break;
      case scenario_mode::fanout:
        err = run_fanout(*wcfg, result);
        break;
      case scenario_mode::variants:
        err = run_variants(*wcfg, result);
        break;
    }
    end_progress();
    if (err) {
      return err;
    }
    if (!version_.is_null()) {
      result["environment"]["daemon_version"] = version_;
    }
    return result;
  }

private:
  // -- setup ------------------------------------------------------------------

  json scenario_json() const {
    const auto& w = sc_.workload;
    return {
      {"name", sc_.name},
      {"description", sc_.description},
      {"mode", std::string{to_string(sc_.mode)}},
      {"rounds", sc_.rounds},
      {"workload",
       {{"count", w.count},
        {"size", w.size},
        {"threads", w.threads},
        {"tenants", w.tenants},
        {"partitions", w.partitions},
        {"payload", w.payload},
        {"mix",
         w.mix.empty() ? std::string{workload::default_mix_spec} : w.mix},
        {"zstd", w.zstd},
        {"compression_threshold", w.compression_threshold},
        {"gaps", w.gaps},
        {"duplicates", w.duplicates},
        {"reorders", w.reorders},
        {"corrupt", w.corrupt},
        {"seed", w.seed}}},
      {"daemon", sc_.daemon},
      {"fanout", sc_.mode == scenario_mode::fanout
                   ? json{{"clients", sc_.fanout_clients},
                          {"reader_threads", sc_.fanout_reader_threads},
                          {"raw_reader_threads", sc_.fanout_raw_reader_threads},
                          {"load_fraction", sc_.load_fraction},
                          {"duration_secs", sc_.duration_secs}}
                   : json{}},
      {"bad_records_corrupt", sc_.mode == scenario_mode::bad_records
                                ? json(sc_.bad_corrupt)
                                : json{}}};
  }

  caf::error start_broker() {
    if (!opts_.brokers.empty()) {
      brokers_ = opts_.brokers;
      return {};
    }
    auto mock = kafka::mock_cluster::make(1);
    if (!mock) {
      return make_error(errc::setup_failed,
                        "embedded broker: " + diag::describe(mock.error()));
    }
    brokers_ = (*mock)->bootstrap();
    mock_ = std::move(*mock);
    return {};
  }

  caf::error create_topic(const std::string& topic) {
    kafka::client_config client;
    client.brokers = brokers_;
    for (const auto& t : {topic, topic + "-dlq"}) {
      caf::error err;
      if (mock_) {
        err = mock_->create_topic(t, sc_.workload.partitions);
      } else {
        err = kafka::create_topic(client, t, sc_.workload.partitions, 1,
                                  admin_timeout);
      }
      if (err) {
        return make_error(errc::setup_failed, "cannot create topic " + t +
                                                ": " + diag::describe(err));
      }
    }
    return {};
  }

  std::string new_topic(const std::string& what) {
    return "bench-" + sc_.name + "-" + what + "-" + run_id_;
  }

  std::string new_group(const std::string& what) {
    return "bench-" + what + "-" + run_id_ + "-" + std::to_string(++seq_);
  }

  bool stopping() const { return opts_.should_stop && opts_.should_stop(); }

  // -- progress ---------------------------------------------------------------

  void progress(const std::string& phase, double elapsed, double rate,
                double processed, double target, double lag) {
    if (!opts_.progress) {
      return;
    }
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "\r\033[K%s | %5.1f s | %9.0f rec/s | %.0f/%.0f | lag %.0f",
                  phase.c_str(), elapsed, rate, processed, target, lag);
    std::cout << buf << std::flush;
    progress_shown_ = true;
  }

  void end_progress() {
    if (progress_shown_) {
      std::cout << "\r\033[K" << std::flush;
      progress_shown_ = false;
    }
  }

  // -- producing --------------------------------------------------------------

  /// Produces the workload to `topic` at `rate` (0 = full speed).
  caf::expected<json> produce(const workload::workload_config& wcfg,
                              const std::string& topic, double rate,
                              const std::function<bool()>& stop) {
    prometheus::Registry registry;
    producer::producer_config pcfg;
    pcfg.kafka.client.brokers = brokers_;
    pcfg.topic = topic;
    auto snd = workload::sender::make(wcfg, pcfg, registry);
    if (!snd) {
      return make_error(errc::setup_failed,
                        "producer: " + diag::describe(snd.error()));
    }
    auto res = (*snd)->run(rate, stop);
    if (res.interrupted) {
      return make_error(errc::interrupted, "stopped while producing");
    }
    if (!res.ok()) {
      return make_error(
        errc::setup_failed,
        "producing: " +
          (res.failure
             ? res.failure_what + ": " + diag::describe(res.failure)
             : "acknowledged " + std::to_string(res.acked) + " of " +
                 std::to_string(res.sent) + " (" + res.first_failure + ")"));
    }
    const auto& rec = (*snd)->truth().records();
    const auto& exp = (*snd)->truth().expected();
    return json{
      {"topic", topic},
      {"sent", res.sent},
      {"acked", res.acked},
      {"valid", rec.valid},
      {"duplicates", rec.duplicates},
      {"corrupt", rec.corrupt},
      {"compressed", rec.compressed},
      {"value_bytes", rec.bytes},
      {"seconds", res.seconds},
      {"rate_target", rate},
      {"records_per_second",
       res.seconds > 0 ? static_cast<double>(res.sent) / res.seconds : 0.0},
      {"expected",
       {{"gaps", exp.gaps},
        {"duplicates", exp.duplicates},
        {"reorders", exp.reorders},
        {"decode_errors", [&] {
           uint64_t n = 0;
           for (const auto& [k, v] : exp.corrupt_by_reason) {
             n += v;
           }
           return n;
         }()}}}};
  }

  /// Produces the backlog every throughput round reads, and checks that
  /// the broker still holds all of it.
  // produce_backlog() recorded under result["produce"]; the records sent.
  caf::expected<uint64_t> backlog_into(const workload::workload_config& wcfg,
                                       std::string& topic, json& result) {
    auto prod = produce_backlog(wcfg, topic);
    if (!prod) {
      return prod.error();
    }
    result["produce"] = *prod;
    return (*prod)["sent"].get<uint64_t>();
  }

  caf::expected<json> produce_backlog(const workload::workload_config& wcfg,
                                      std::string& topic,
                                      const std::string& what = "backlog") {
    topic = new_topic(what);
    if (auto err = create_topic(topic)) {
      return err;
    }
    if (opts_.progress) {
      std::cout << "producing " << wcfg.count << " records to " << topic
                << " ..." << std::flush;
      progress_shown_ = true;
    }
    auto stop = [this] { return stopping(); };
    auto prod = produce(wcfg, topic, 0, stop);
    end_progress();
    if (!prod) {
      return prod.error();
    }
    kafka::client_config client;
    client.brokers = brokers_;
    auto marks = kafka::watermarks(client, topic, admin_timeout);
    if (!marks) {
      return make_error(errc::setup_failed,
                        "watermarks: " + diag::describe(marks.error()));
    }
    int64_t held = 0;
    for (const auto& pw : *marks) {
      if (pw.low > 0) {
        return make_error(
          errc::invalid_scenario,
          "the broker dropped the start of partition " +
            std::to_string(pw.partition) + " (log start " +
            std::to_string(pw.low) +
            "): the backlog does not fit; the embedded broker keeps about "
            "5 MiB per partition, so raise workload.partitions or lower "
            "workload.count");
      }
      held += pw.high - pw.low;
    }
    if (held != static_cast<int64_t>((*prod)["sent"].get<uint64_t>())) {
      return make_error(errc::setup_failed,
                        "the topic holds " + std::to_string(held) +
                          " records, " + (*prod)["sent"].dump() + " were sent");
    }
    if (mock_) {
      auto per_partition =
        (*prod)["value_bytes"].get<double>() / sc_.workload.partitions;
      (*prod)["embedded_fill"] = per_partition / mock_partition_bytes;
    }
    return prod;
  }

  // -- the raw floor ----------------------------------------------------------

  caf::expected<raw_floor_result> raw_round(const std::string& topic,
                                            uint64_t count,
                                            const std::string& phase) {
    auto out = opts_.work_dir + "/raw-" + std::to_string(++seq_) + ".log";
    std::vector<std::string> argv{opts_.dashstream_exe,
                                  "bench-raw",
                                  "--brokers",
                                  brokers_,
                                  "--topic",
                                  topic,
                                  "--group",
                                  new_group("raw"),
                                  "--count",
                                  std::to_string(count),
                                  "--timeout",
                                  std::to_string(sc_.round_timeout_secs)};
    for (const auto& [k, v] : consumer_properties()) {
      argv.emplace_back("--property");
      argv.push_back(k + "=" + v);
    }
    auto child = child_process::spawn(argv, out);
    if (!child) {
      return child.error();
    }
    auto t0 = steady::now();
    std::optional<child_exit> ex;
    while (!(ex = (*child)->wait(200ms))) {
      progress(phase, seconds_since(t0, steady::now()), 0, 0,
               static_cast<double>(count), 0);
      if (stopping()) {
        return make_error(errc::interrupted, "stopped during the raw floor");
      }
    }
    auto log = (*child)->log();
    auto pos = log.rfind("\n{");
    auto line = log.substr(pos == std::string::npos ? 0 : pos + 1);
    auto doc = json::parse(line, nullptr, false);
    if (ex->status != 0 || doc.is_discarded()) {
      return make_error(errc::child_failed, "raw floor exited with " +
                                              std::to_string(ex->status) +
                                              "; log " + out);
    }
    auto r = raw_floor_from_json(doc);
    if (r.timed_out || r.records < count) {
      return make_error(errc::timed_out, "raw floor read " +
                                           std::to_string(r.records) + " of " +
                                           std::to_string(count));
    }
    return r;
  }

  // -- the daemon -------------------------------------------------------------

  struct pipeline_result {
    json summary;
    std::vector<sample> samples;
    double records_per_second = 0;
    double cpu_us_per_record = 0;
  };

  /// What both consumers get: the scenario's properties, and on the
  /// embedded broker the setting it needs (mock_cluster.hpp), the same for
  /// the raw floor and the daemon.
  std::map<std::string, std::string> consumer_properties() const {
    auto props = sc_.consumer_properties;
    if (mock_) {
      props.try_emplace("fetch.wait.max.ms",
                        kafka::mock_cluster::consumer_fetch_wait_max_ms);
    }
    return props;
  }

  std::vector<std::string> daemon_argv(const std::string& topic,
                                       const std::string& group,
                                       const std::vector<std::string>& sets) {
    std::vector<std::string> argv{opts_.dashstream_exe, "run"};
    auto set = [&argv](const std::string& kv) {
      argv.emplace_back("--set");
      argv.push_back(kv);
    };
    set("kafka.brokers=" + brokers_);
    set("kafka.topic=" + topic);
    set("kafka.group_id=" + group);
    set("http.host=127.0.0.1");
    set("http.port=0");
    set("kafka.lag_check_interval_secs=1");
    // Each daemon its own DLQ spool (a spool directory is locked, and one
    // left over would be drained by the next run).
    spool_dir_ = opts_.work_dir + "/spool-" + std::to_string(++seq_);
    set("dlq.spool_dir=" + spool_dir_);
    if (auto cp = consumer_properties(); !cp.empty()) {
      std::string props = "{";
      for (const auto& [k, v] : cp) {
        props += (props.size() > 1 ? ", \"" : "\"") + k + "\" = \"" + v + "\"";
      }
      set("kafka.properties=" + props + "}");
    }
    for (const auto& [k, v] : sc_.daemon) {
      set(k + "=" + v);
    }
    for (const auto& kv : sets) {
      set(kv);
    }
    return argv;
  }

  static uint16_t logged_port(const std::string& text) {
    const std::string key = "\"http\":\"";
    auto pos = text.find(key);
    if (pos == std::string::npos) {
      return 0;
    }
    auto end = text.find('"', pos + key.size());
    auto colon = text.rfind(':', end);
    if (end == std::string::npos || colon == std::string::npos ||
        colon < pos + key.size()) {
      return 0;
    }
    return static_cast<uint16_t>(
      std::stoi(text.substr(colon + 1, end - colon - 1)));
  }

  /// Runs the daemon on `topic` until it has processed `target` records
  /// (or, with `live`, until `live` returns its final produced count and
  /// that many are processed). Samples /metrics and /proc meanwhile. With
  /// `by_dlq`, a record counts as done once the DLQ holds it durably
  /// (dashstream_dlq_records_total), not when it was decoded: for a
  /// backlog of bad records, which the daemon commits only after that.
  caf::expected<pipeline_result>
  pipeline_round(const std::string& topic, uint64_t target,
                 const std::vector<std::string>& sets, const std::string& phase,
                 std::function<uint64_t()> live = {}, bool by_dlq = false) {
    auto log_path =
      opts_.work_dir + "/daemon-" + std::to_string(++seq_) + ".log";
    auto child = child_process::spawn(
      daemon_argv(topic, new_group("pipeline"), sets), log_path);
    if (!child) {
      return child.error();
    }
    auto spool_dir = spool_dir_;
    auto& d = **child;
    auto t0 = steady::now();
    auto fail = [&](errc code, const std::string& what) {
      return make_error(code, what + " (daemon log: " + log_path + ")");
    };
    uint16_t port = 0;
    while ((port = logged_port(d.log())) == 0) {
      if (!d.running()) {
        return fail(errc::child_failed, "the daemon exited at startup");
      }
      if (seconds_since(t0, steady::now()) > 30 || stopping()) {
        return fail(errc::timed_out, "the daemon did not start in 30 s");
      }
      std::this_thread::sleep_for(20ms);
    }
    if (version_.is_null()) {
      if (auto v = http_get(port, "/version")) {
        version_ = json::parse(*v, nullptr, false);
      }
    }
    // Live: wait until partitions are assigned (a lag series exists), so
    // the records we send next are live, not backlog.
    std::thread producer_thread;
    std::atomic<bool> produced_done{false};
    std::atomic<uint64_t> produced{0};
    pipeline_result out;
    // Scrape times and progress: when to scrape next (fine near the end).
    std::vector<progress_point> seen;
    auto done = [by_dlq](const sample& x) {
      return by_dlq ? x.m.dlq_records : x.m.processed();
    };
    if (live) {
      auto deadline = steady::now() + 30s;
      for (;;) {
        auto now = steady::now();
        auto text = http_get(port, "/metrics");
        if (text && text->find("dashstream_consumer_lag_messages{") !=
                      std::string::npos) {
          // The run's first point, taken before anything is produced: a
          // small run may be done before the next scrape, and its window
          // needs a start.
          if (auto proc = sample_process(d.pid())) {
            sample s{seconds_since(t0, now), parse_metrics(*text), *proc};
            out.samples.push_back(s);
            seen.push_back({s.t, done(s), 0});
          }
          break;
        }
        if (steady::now() > deadline || !d.running()) {
          return fail(errc::timed_out, "no partition assigned in 30 s");
        }
        std::this_thread::sleep_for(100ms);
      }
      producer_thread = std::thread([&] {
        produced = live();
        produced_done = true;
      });
    }
    caf::error err;
    auto limit = std::chrono::seconds(sc_.round_timeout_secs);
    const auto coarse =
      std::chrono::duration<double>(opts_.scrape_interval).count();
    const auto fine =
      std::chrono::duration<double>(opts_.fine_scrape_interval).count();
    auto delay = coarse;
    auto after = [](steady::time_point t, double seconds) {
      return t + std::chrono::duration_cast<steady::duration>(
                   std::chrono::duration<double>(seconds));
    };
    for (auto next = steady::now();;) {
      std::this_thread::sleep_until(next);
      auto now = steady::now();
      next = after(now, delay); // a failed scrape keeps the last delay
      auto text = http_get(port, "/metrics");
      auto proc = sample_process(d.pid());
      if (!text || !proc) {
        if (!d.running()) {
          err = fail(errc::child_failed, "the daemon died");
          break;
        }
        continue;
      }
      sample s{seconds_since(t0, now), parse_metrics(*text), *proc};
      out.samples.push_back(s);
      auto goal =
        live ? (produced_done ? produced.load() : UINT64_MAX) : target;
      seen.push_back({s.t, done(s), 0});
      delay = next_scrape_delay(seen, static_cast<double>(goal), coarse, fine);
      next = after(now, delay);
      double rate = 0;
      if (out.samples.size() > 10) {
        const auto& old = out.samples[out.samples.size() - 11];
        rate = (done(s) - done(old)) / (s.t - old.t);
      }
      progress(phase, s.t, rate, done(s),
               live ? static_cast<double>(target) : static_cast<double>(goal),
               live ? s.m.lag_messages : static_cast<double>(goal) - done(s));
      if (done(s) >= static_cast<double>(goal)) {
        break;
      }
      if (now - t0 > limit) {
        err = fail(errc::timed_out,
                   std::string{by_dlq ? "dead-lettered " : "processed "} +
                     std::to_string(done(s)) + " of " + std::to_string(goal) +
                     " in " + std::to_string(sc_.round_timeout_secs) + " s");
        break;
      }
      if (stopping()) {
        err = make_error(errc::interrupted, "stopped");
        break;
      }
    }
    if (producer_thread.joinable()) {
      // The producer checks should_stop; an early exit above stops it.
      live_abort_ = static_cast<bool>(err);
      producer_thread.join();
      live_abort_ = false;
    }
    if (auto werr = write_samples(phase, out.samples); werr && !err) {
      err = werr;
    }
    // The daemon's own peak (VmHWM), read while it still has one.
    auto final_proc = sample_process(d.pid());
    d.signal(SIGTERM);
    auto ex = d.wait(20s);
    if (!ex) {
      d.signal(SIGKILL);
      ex = d.wait(5s);
    }
    // What it spooled for the bench's throwaway DLQ topic (hundreds of MiB
    // in an all-bad round) is of no further use; the log stays.
    std::error_code ignored;
    std::filesystem::remove_all(spool_dir, ignored);
    if (err) {
      return err;
    }
    auto& ss = out.samples;
    const auto& last = ss.back();
    std::vector<progress_point> points;
    std::vector<progress_point> decoded;
    points.reserve(ss.size());
    for (const auto& s : ss) {
      points.push_back(
        {s.t, by_dlq ? s.m.dlq_records : s.m.processed(), s.proc.cpu_seconds});
      decoded.push_back({s.t, s.m.processed(), s.proc.cpu_seconds});
    }
    const auto w = estimate_window(points);
    // For a DLQ-bound run: how fast records were decoded and rejected,
    // against how fast the DLQ made them durable.
    const auto wd = estimate_window(decoded);
    out.records_per_second = w.records_per_second();
    out.cpu_us_per_record = w.cpu_us_per_record();
    const auto& m = last.m;
    auto q = [&m](double p) {
      auto e = quantile(m.e2e_latency, p);
      return e.valid
               ? json{{"seconds", e.value}, {"bucket", {e.lower, e.upper}}}
               : json{};
    };
    auto mx = max_bucket(m.e2e_latency);
    out.summary = {
      {"records_per_second", out.records_per_second},
      {"cpu_us_per_record", out.cpu_us_per_record},
      {"window_seconds", w.finish - w.start},
      {"window_records", w.records},
      {"processed", m.processed()},
      {"outcomes",
       {{"ok", m.records_ok},
        {"decode_error", m.records_decode_error},
        {"rejected", m.records_rejected},
        {"other", m.records_other}}},
      {"measured_on", by_dlq ? "dlq_records" : "processed"},
      {"processed_records_per_second", wd.records_per_second()},
      {"dlq_records", m.has_dlq ? json(m.dlq_records) : json{}},
      {"dlq_via_spool", m.dlq_spooled_now + m.dlq_drained},
      {"dlq_spooled_at_end", m.dlq_spooled_now},
      {"dlq_write_failures", m.dlq_write_failures},
      {"sequence",
       {{"gaps", m.gaps},
        {"duplicates", m.duplicates},
        {"reorders", m.reorders},
        {"decode_errors", m.decode_errors}}},
      {"restarts", m.restarts},
      {"partition_pauses", m.partition_pauses},
      {"daemon_cpu_seconds", ex ? ex->cpu_seconds : last.proc.cpu_seconds},
      {"peak_rss_bytes",
       std::max<uint64_t>(final_proc ? final_proc->peak_rss_bytes : 0,
                          last.proc.peak_rss_bytes)},
      {"exit_status", ex ? ex->status : -1},
      {"max_lag_messages",
       [&] {
         double mlag = 0;
         for (const auto& s : ss) {
           mlag = std::max(mlag, s.m.lag_messages);
         }
         return mlag;
       }()},
      {"latency",
       {{"observed", m.e2e_latency.count},
        {"mean_seconds", m.e2e_latency.count > 0
                           ? m.e2e_latency.sum / m.e2e_latency.count
                           : 0.0},
        {"p50", q(0.5)},
        {"p90", q(0.9)},
        {"p99", q(0.99)},
        {"p999", q(0.999)},
        {"max", mx.valid ? json{{"seconds", mx.value},
                                {"bucket", {mx.lower, mx.upper}}}
                         : json{}}}},
      {"log", log_path},
    };
    return out;
  }

  /// Appends a round's scrapes to run_options::samples_file (with the
  /// header, first time).
  caf::error write_samples(const std::string& phase,
                           const std::vector<sample>& ss) {
    if (opts_.samples_file.empty()) {
      return {};
    }
    std::ofstream out{opts_.samples_file,
                      samples_started_ ? std::ios::app : std::ios::trunc};
    if (!samples_started_) {
      out << "phase,t_seconds,processed,dlq_records,dlq_spooled,"
             "cpu_seconds,rss_bytes\n";
      samples_started_ = true;
    }
    for (const auto& s : ss) {
      out << '"' << phase << "\"," << s.t << ',' << s.m.processed() << ','
          << s.m.dlq_records << ',' << s.m.dlq_spooled_now << ','
          << s.proc.cpu_seconds << ',' << s.proc.rss_bytes << '\n';
    }
    if (!out.flush()) {
      return make_error(errc::io_failed, "cannot write " + opts_.samples_file);
    }
    return {};
  }

  /// Throughput and latency over time, in windows of about `window` s.
  static json timeline(const std::vector<sample>& ss, double window = 0.5) {
    json tl = json::array();
    if (ss.empty()) {
      return tl;
    }
    std::size_t from = 0;
    for (std::size_t i = 1; i < ss.size(); ++i) {
      if (ss[i].t - ss[from].t < window && i + 1 < ss.size()) {
        continue;
      }
      const auto& a = ss[from];
      const auto& b = ss[i];
      auto h = b.m.e2e_latency.minus(a.m.e2e_latency);
      auto p50 = quantile(h, 0.5);
      auto p99 = quantile(h, 0.99);
      tl.push_back({{"t", b.t},
                    {"processed", b.m.processed()},
                    {"records_per_second",
                     (b.m.processed() - a.m.processed()) / (b.t - a.t)},
                    {"lag_messages", b.m.lag_messages},
                    {"cpu_fraction",
                     (b.proc.cpu_seconds - a.proc.cpu_seconds) / (b.t - a.t)},
                    {"rss_bytes", b.proc.rss_bytes},
                    {"latency_p50", p50.valid ? json(p50.value) : json{}},
                    {"latency_p99", p99.valid ? json(p99.value) : json{}}});
      from = i;
    }
    return tl;
  }

  // -- modes ------------------------------------------------------------------

  /// `rounds` raw/pipeline pairs over one backlog, alternating which goes
  /// first; ratios per pair, medians over the pairs.
  caf::error throughput_rounds(const std::string& topic, uint64_t count,
                               int rounds, const std::vector<std::string>& sets,
                               json& result, std::vector<sample>& plot) {
    json rs = json::array();
    std::vector<double> ratios;
    std::vector<double> cpu_ratios;
    std::vector<double> raw_rps;
    std::vector<double> pipe_rps;
    std::vector<double> raw_cpu;
    std::vector<double> pipe_cpu;
    bool consistent = true;
    json last_pipeline;
    for (int r = 0; r < rounds; ++r) {
      auto tag = std::to_string(r + 1) + "/" + std::to_string(rounds);
      std::optional<raw_floor_result> raw;
      std::optional<pipeline_result> pipe;
      for (int k = 0; k < 2; ++k) {
        bool do_raw = (k == 0) == (r % 2 == 0);
        if (do_raw) {
          auto x = raw_round(topic, count, "raw floor " + tag);
          if (!x) {
            return x.error();
          }
          raw = *x;
        } else {
          auto x = pipeline_round(topic, count, sets, "pipeline " + tag);
          if (!x) {
            return x.error();
          }
          pipe = std::move(*x);
        }
      }
      double ratio = pipe->records_per_second / raw->records_per_second();
      double cpu_ratio = pipe->cpu_us_per_record / raw->cpu_us_per_record();
      ratios.push_back(ratio);
      cpu_ratios.push_back(cpu_ratio);
      raw_rps.push_back(raw->records_per_second());
      pipe_rps.push_back(pipe->records_per_second);
      raw_cpu.push_back(raw->cpu_us_per_record());
      pipe_cpu.push_back(pipe->cpu_us_per_record);
      consistent = consistent && pipe->summary["processed"].get<double>() ==
                                   static_cast<double>(count);
      rs.push_back({{"raw", to_json(*raw)},
                    {"pipeline", pipe->summary},
                    {"ratio_throughput", ratio},
                    {"ratio_cpu_per_record", cpu_ratio},
                    {"order", r % 2 == 0 ? "raw first" : "pipeline first"}});
      last_pipeline = pipe->summary;
      plot = std::move(pipe->samples);
    }
    result["rounds"] = rs;
    result["summary"] = {
      {"raw_records_per_second", median(raw_rps)},
      {"pipeline_records_per_second", median(pipe_rps)},
      {"ratio_throughput", median(ratios)},
      {"ratio_throughput_min", *std::min_element(ratios.begin(), ratios.end())},
      {"ratio_throughput_max", *std::max_element(ratios.begin(), ratios.end())},
      {"raw_cpu_us_per_record", median(raw_cpu)},
      {"pipeline_cpu_us_per_record", median(pipe_cpu)},
      {"ratio_cpu_per_record", median(cpu_ratios)},
      {"produced", count},
      {"processed", last_pipeline["processed"]},
      {"processed_equals_produced", consistent},
      {"dlq_records", last_pipeline["dlq_records"]},
      {"peak_rss_bytes", last_pipeline["peak_rss_bytes"]},
      {"daemon_cpu_seconds", last_pipeline["daemon_cpu_seconds"]},
      {"max_lag_messages", last_pipeline["max_lag_messages"]},
      {"sequence", last_pipeline["sequence"]},
      {"outcomes", last_pipeline["outcomes"]},
    };
    return {};
  }

  caf::error run_throughput(const workload::workload_config& wcfg,
                            json& result) {
    std::string topic;
    auto sent = backlog_into(wcfg, topic, result);
    if (!sent) {
      return sent.error();
    }
    auto count = *sent;
    std::vector<sample> plot;
    if (auto err =
          throughput_rounds(topic, count, sc_.rounds, {}, result, plot)) {
      return err;
    }
    const auto& exp = result["produce"]["expected"];
    const auto& seq = result["summary"]["sequence"];
    result["summary"]["faults_match_ground_truth"] =
      seq["gaps"].get<double>() == exp["gaps"].get<double>() &&
      seq["duplicates"].get<double>() == exp["duplicates"].get<double>() &&
      seq["reorders"].get<double>() == exp["reorders"].get<double>() &&
      result["summary"]["outcomes"]["decode_error"].get<double>() ==
        exp["decode_errors"].get<double>();
    result["timeline"] = timeline(plot);
    return {};
  }

  /// One backlog; each round runs the daemon once per variant, the order
  /// rotated round by round so no variant always goes first; every
  /// variant's rate as a ratio against the baseline's (the first variant)
  /// in the same round, medians over the rounds.
  caf::error run_variants(const workload::workload_config& wcfg, json& result) {
    std::string topic;
    auto sent = backlog_into(wcfg, topic, result);
    if (!sent) {
      return sent.error();
    }
    const auto count = *sent;
    std::unique_ptr<otlp_sink> sink;
    const std::string sink_token = "{otlp_sink}";
    auto sets_of =
      [&](
        const scenario_variant& v) -> caf::expected<std::vector<std::string>> {
      std::vector<std::string> sets;
      for (auto [k, val] : v.daemon) {
        if (val == sink_token) {
          if (!sink) {
            auto started = otlp_sink::start();
            if (!started) {
              return started.error();
            }
            sink = std::move(*started);
          }
          val = sink->url();
        }
        sets.push_back(k + "=" + val);
      }
      return sets;
    };
    const auto n = sc_.variants.size();
    std::vector<std::vector<double>> rps(n), cpu(n), ratios(n);
    json rs = json::array();
    std::vector<sample> plot;
    bool consistent = true;
    for (int r = 0; r < sc_.rounds; ++r) {
      auto tag = std::to_string(r + 1) + "/" + std::to_string(sc_.rounds);
      std::vector<std::optional<pipeline_result>> got(n);
      for (std::size_t k = 0; k < n; ++k) {
        auto i = (k + static_cast<std::size_t>(r)) % n;
        const auto& v = sc_.variants[i];
        auto sets = sets_of(v);
        if (!sets) {
          return sets.error();
        }
        auto x = pipeline_round(topic, count, *sets, v.name + " " + tag);
        if (!x) {
          return x.error();
        }
        consistent = consistent && x->summary["processed"].get<double>() ==
                                     static_cast<double>(count);
        got[i] = std::move(*x);
      }
      json round = json::object();
      for (std::size_t i = 0; i < n; ++i) {
        double ratio = got[i]->records_per_second / got[0]->records_per_second;
        rps[i].push_back(got[i]->records_per_second);
        cpu[i].push_back(got[i]->cpu_us_per_record);
        ratios[i].push_back(ratio);
        round[sc_.variants[i].name] = {{"pipeline", got[i]->summary},
                                       {"ratio_to_baseline", ratio}};
      }
      rs.push_back(std::move(round));
      plot = std::move(got[n - 1]->samples);
    }
    json variants = json::array();
    for (std::size_t i = 0; i < n; ++i) {
      variants.push_back(
        {{"name", sc_.variants[i].name},
         {"daemon", sc_.variants[i].daemon},
         {"records_per_second", median(rps[i])},
         {"cpu_us_per_record", median(cpu[i])},
         {"ratio_to_baseline", median(ratios[i])},
         {"ratio_to_baseline_min",
          *std::min_element(ratios[i].begin(), ratios[i].end())},
         {"ratio_to_baseline_max",
          *std::max_element(ratios[i].begin(), ratios[i].end())}});
    }
    result["rounds"] = rs;
    result["summary"] = {{"baseline", sc_.variants[0].name},
                         {"variants", variants},
                         {"all_processed", consistent}};
    if (sink) {
      result["summary"]["otlp_sink"] = {{"requests", sink->requests()},
                                        {"bytes", sink->bytes()}};
    }
    result["timeline"] = timeline(plot);
    return {};
  }

  struct live_result {
    pipeline_result pipe;
    /// What the producer reported.
    json produced;
  };

  /// The daemon on a fresh topic while `wcfg` is produced into it at
  /// `rate` (0 = full speed), until it has processed all of it.
  caf::expected<live_result> live_round(const workload::workload_config& wcfg,
                                        double rate, const std::string& tag,
                                        const std::string& phase) {
    auto topic = new_topic(tag);
    if (auto err = create_topic(topic)) {
      return err;
    }
    json produced;
    auto producer = [&]() -> uint64_t {
      auto stop = [this] { return live_abort_.load() || stopping(); };
      auto p = produce(wcfg, topic, rate, stop);
      if (!p) {
        produced = {{"error", diag::describe(p.error())}};
        return 0;
      }
      produced = *p;
      return (*p)["sent"].get<uint64_t>();
    };
    auto pipe = pipeline_round(topic, wcfg.count, {}, phase, producer);
    if (!pipe) {
      return pipe.error();
    }
    if (produced.contains("error")) {
      return make_error(errc::setup_failed,
                        phase + ": producer: " + produced["error"].dump());
    }
    return live_result{std::move(*pipe), std::move(produced)};
  }

  // The scenario's workload refitted to `count` records: faults scale with
  // count, so its amounts stay proportional.
  caf::expected<workload::workload_config> refit_workload(uint64_t count) {
    auto w = sc_.workload;
    w.count = count;
    return make_workload(w);
  }

  // The live phase's records: `count` of them, on threads of their own,
  // with the scenario's gaps, duplicates and reorders in proportion.
  workload::workload_config live_workload(const workload::workload_config& wcfg,
                                          uint64_t count) {
    auto live_cfg = wcfg;
    live_cfg.count = count;
    live_cfg.thread_prefix = "live-thread-";
    live_cfg.seed = wcfg.seed + 1;
    if (auto refit = refit_workload(count)) {
      live_cfg.gaps = refit->gaps;
      live_cfg.duplicates = refit->duplicates;
      live_cfg.reorders = refit->reorders;
    }
    return live_cfg;
  }

  caf::error run_latency(const workload::workload_config& wcfg, json& result) {
    // 1. The maximum: one raw/pipeline pair over a backlog.
    std::string topic;
    auto sent = backlog_into(wcfg, topic, result);
    if (!sent) {
      return sent.error();
    }
    auto count = *sent;
    std::vector<sample> plot;
    if (auto err = throughput_rounds(topic, count, 1, {}, result, plot)) {
      return err;
    }
    double backlog_rate =
      result["summary"]["pipeline_records_per_second"].get<double>();
    // 2. The maximum the live phase can use: the same workload produced at
    // full speed into a fresh topic while the daemon reads it, so that the
    // producer takes its share of the cores as it will live. The backlog
    // rate alone, measured without the producer, overstated it about
    // twofold once it passed 1 M records/s: a live run at half of it fell
    // behind for good.
    auto max_round = live_round(wcfg, 0, "max", "max, producer running");
    if (!max_round) {
      return max_round.error();
    }
    double max_rate = max_round->pipe.records_per_second;
    double rate = std::max(1.0, max_rate * sc_.load_fraction);
    // 3. Live at a fraction of it: a fresh topic, the daemon first.
    auto live_cfg =
      live_workload(wcfg, static_cast<uint64_t>(rate * sc_.duration_secs));
    if (auto refit = refit_workload(live_cfg.count)) {
      live_cfg.corrupt = refit->corrupt;
    }
    auto live = live_round(
      live_cfg, rate, "live",
      "live at " + std::to_string(static_cast<int>(sc_.load_fraction * 100)) +
        "% of max");
    if (!live) {
      return live.error();
    }
    const auto& pipe = live->pipe;
    const auto& live_prod = live->produced;
    result["live"] = {{"max_records_per_second", max_rate},
                      {"backlog_records_per_second", backlog_rate},
                      {"max_produce", max_round->produced},
                      {"max_pipeline", max_round->pipe.summary},
                      {"load_fraction", sc_.load_fraction},
                      {"target_records_per_second", rate},
                      {"produce", live_prod},
                      {"pipeline", pipe.summary}};
    result["summary"]["latency"] = pipe.summary["latency"];
    result["summary"]["live_records_per_second"] =
      live_prod["records_per_second"];
    result["summary"]["live_processed_equals_produced"] =
      pipe.summary["processed"].get<double>() ==
      live_prod["sent"].get<double>();
    result["timeline"] = timeline(pipe.samples);
    return {};
  }

  /// A clean backlog and one where every record is corrupt (so every
  /// record goes to the DLQ); `rounds` pairs of pipeline rounds over the
  /// two, alternating which goes first; the bad/clean throughput ratio per
  /// pair, medians over the pairs. No raw floor: the question is what bad
  /// records cost the pipeline against good ones.
  caf::error run_bad_records(const workload::workload_config& wcfg,
                             json& result) {
    std::string clean_topic;
    auto clean = backlog_into(wcfg, clean_topic, result);
    if (!clean) {
      return clean.error();
    }
    auto bad_cfg = wcfg;
    bad_cfg.count = 0; // no valid record: only the corrupt ones
    bad_cfg.gaps = 0;
    bad_cfg.duplicates = 0;
    bad_cfg.reorders = 0;
    bad_cfg.thread_prefix = "bad-thread-";
    bad_cfg.seed = wcfg.seed + 1;
    auto spec = workload::parse_corruption_spec(sc_.bad_corrupt, wcfg.count);
    if (!spec) {
      return make_error(errc::invalid_scenario,
                        "bad_records.corrupt: " +
                          diag::error_detail(spec.error()));
    }
    bad_cfg.corrupt = *spec;
    if (bad_cfg.corrupt_total() == 0) {
      return make_error(errc::invalid_scenario,
                        "bad_records.corrupt: '" + sc_.bad_corrupt +
                          "' gives no corrupt record for workload.count " +
                          std::to_string(wcfg.count));
    }
    std::string bad_topic;
    auto bad_prod = produce_backlog(bad_cfg, bad_topic, "bad");
    if (!bad_prod) {
      return bad_prod.error();
    }
    result["produce_bad"] = *bad_prod;
    const auto clean_count = *clean;
    const auto bad_count = (*bad_prod)["sent"].get<uint64_t>();
    json rs = json::array();
    std::vector<double> ratios;
    std::vector<double> clean_rps;
    std::vector<double> bad_rps;
    std::vector<double> bad_decoded_rps;
    std::vector<double> clean_cpu;
    std::vector<double> bad_cpu;
    bool consistent = true;
    json last_clean;
    json last_bad;
    std::vector<sample> plot;
    const int rounds = sc_.rounds;
    for (int r = 0; r < rounds; ++r) {
      auto tag = std::to_string(r + 1) + "/" + std::to_string(rounds);
      std::optional<pipeline_result> c;
      std::optional<pipeline_result> b;
      for (int k = 0; k < 2; ++k) {
        bool do_clean = (k == 0) == (r % 2 == 0);
        if (do_clean) {
          auto x = pipeline_round(clean_topic, clean_count, {}, "clean " + tag);
          if (!x) {
            return x.error();
          }
          c = std::move(*x);
        } else {
          auto x = pipeline_round(bad_topic, bad_count, {}, "all bad " + tag,
                                  {}, true);
          if (!x) {
            return x.error();
          }
          b = std::move(*x);
        }
      }
      double ratio = b->records_per_second / c->records_per_second;
      ratios.push_back(ratio);
      clean_rps.push_back(c->records_per_second);
      bad_rps.push_back(b->records_per_second);
      bad_decoded_rps.push_back(
        b->summary["processed_records_per_second"].get<double>());
      clean_cpu.push_back(c->cpu_us_per_record);
      bad_cpu.push_back(b->cpu_us_per_record);
      consistent = consistent &&
                   c->summary["processed"].get<double>() ==
                     static_cast<double>(clean_count) &&
                   b->summary["processed"].get<double>() ==
                     static_cast<double>(bad_count) &&
                   b->summary["outcomes"]["decode_error"].get<double>() ==
                     static_cast<double>(bad_count) &&
                   b->summary["dlq_records"].is_number() &&
                   b->summary["dlq_records"].get<double>() ==
                     static_cast<double>(bad_count);
      rs.push_back({{"clean", c->summary},
                    {"bad", b->summary},
                    {"ratio_bad_to_clean", ratio},
                    {"order", r % 2 == 0 ? "clean first" : "bad first"}});
      last_clean = c->summary;
      last_bad = b->summary;
      plot = std::move(b->samples);
    }
    result["rounds"] = rs;
    result["summary"] = {
      {"clean_records_per_second", median(clean_rps)},
      {"bad_records_per_second", median(bad_rps)},
      {"bad_decoded_records_per_second", median(bad_decoded_rps)},
      {"ratio_bad_to_clean", median(ratios)},
      {"ratio_bad_to_clean_min",
       *std::min_element(ratios.begin(), ratios.end())},
      {"ratio_bad_to_clean_max",
       *std::max_element(ratios.begin(), ratios.end())},
      {"ratios_bad_to_clean", ratios},
      {"clean_cpu_us_per_record", median(clean_cpu)},
      {"bad_cpu_us_per_record", median(bad_cpu)},
      {"produced", clean_count},
      {"produced_bad", bad_count},
      {"processed", last_clean["processed"]},
      {"processed_bad", last_bad["processed"]},
      {"dlq_records", last_bad["dlq_records"]},
      {"dlq_via_spool", last_bad["dlq_via_spool"]},
      {"dlq_write_failures", last_bad["dlq_write_failures"]},
      {"every_record_accounted", consistent},
      {"peak_rss_bytes", last_bad["peak_rss_bytes"]},
      {"outcomes_bad", last_bad["outcomes"]},
    };
    result["timeline"] = timeline(plot);
    return {};
  }

  caf::error run_sweep(const workload::workload_config& wcfg, json& result) {
    std::string topic;
    auto sent = backlog_into(wcfg, topic, result);
    if (!sent) {
      return sent.error();
    }
    auto count = *sent;
    std::vector<double> raw_rps;
    std::vector<double> raw_cpu;
    auto raw_now = [&](const std::string& phase) -> caf::error {
      auto r = raw_round(topic, count, phase);
      if (!r) {
        return r.error();
      }
      raw_rps.push_back(r->records_per_second());
      raw_cpu.push_back(r->cpu_us_per_record());
      return {};
    };
    if (auto err = raw_now("raw floor")) {
      return err;
    }
    json points = json::array();
    std::size_t n = 0;
    auto total =
      sc_.sweep_validators.size() * sc_.sweep_scheduler_threads.size();
    bool consistent = true;
    std::vector<sample> best_samples;
    double best_rps = 0;
    json best;
    for (int v : sc_.sweep_validators) {
      for (int t : sc_.sweep_scheduler_threads) {
        ++n;
        auto phase = "validators " + std::to_string(v) + " x threads " +
                     std::to_string(t) + " (" + std::to_string(n) + "/" +
                     std::to_string(total) + ")";
        auto pipe =
          pipeline_round(topic, count,
                         {"pipeline.validators=" + std::to_string(v),
                          "pipeline.scheduler_threads=" + std::to_string(t)},
                         phase);
        if (!pipe) {
          return pipe.error();
        }
        consistent = consistent && pipe->summary["processed"].get<double>() ==
                                     static_cast<double>(count);
        json pt{{"validators", v},
                {"scheduler_threads", t},
                {"records_per_second", pipe->records_per_second},
                {"cpu_us_per_record", pipe->cpu_us_per_record},
                {"peak_rss_bytes", pipe->summary["peak_rss_bytes"]}};
        points.push_back(pt);
        if (pipe->records_per_second > best_rps) {
          best_rps = pipe->records_per_second;
          best = pt;
          best_samples = std::move(pipe->samples);
        }
        // The floor again every few points, so drift shows.
        if (n % 4 == 0 && n < total) {
          if (auto err = raw_now("raw floor")) {
            return err;
          }
        }
      }
    }
    if (auto err = raw_now("raw floor")) {
      return err;
    }
    double raw = median(raw_rps);
    double rcpu = median(raw_cpu);
    for (auto& pt : points) {
      pt["ratio_throughput"] = pt["records_per_second"].get<double>() / raw;
      pt["ratio_cpu_per_record"] = pt["cpu_us_per_record"].get<double>() / rcpu;
    }
    best["ratio_throughput"] = best_rps / raw;
    result["sweep"] = points;
    result["summary"] = {
      {"raw_records_per_second", raw},
      {"raw_records_per_second_all", raw_rps},
      {"raw_cpu_us_per_record", rcpu},
      {"best", best},
      {"produced", count},
      {"processed_equals_produced", consistent},
    };
    result["timeline"] = timeline(best_samples);
    return {};
  }

  // -- fanout -----------------------------------------------------------------

  /// A daemon on `topic` for the fan-out, up and listening.
  struct running_daemon {
    std::unique_ptr<child_process> child;
    uint16_t port = 0;
    std::string log_path;
  };

  caf::expected<running_daemon>
  start_daemon(const std::string& topic, const std::vector<std::string>& sets) {
    running_daemon rd;
    rd.log_path = opts_.work_dir + "/daemon-" + std::to_string(++seq_) + ".log";
    auto child = child_process::spawn(
      daemon_argv(topic, new_group("fanout"), sets), rd.log_path);
    if (!child) {
      return child.error();
    }
    rd.child = std::move(*child);
    auto& d = *rd.child;
    auto t0 = steady::now();
    while ((rd.port = logged_port(d.log())) == 0) {
      if (!d.running()) {
        return make_error(errc::child_failed, "the daemon exited at startup"
                                              " (daemon log: " +
                                                rd.log_path + ")");
      }
      if (seconds_since(t0, steady::now()) > 30 || stopping()) {
        return make_error(errc::timed_out, "the daemon did not start in 30 s"
                                           " (daemon log: " +
                                             rd.log_path + ")");
      }
      std::this_thread::sleep_for(20ms);
    }
    if (version_.is_null()) {
      if (auto v = http_get(rd.port, "/version")) {
        version_ = json::parse(*v, nullptr, false);
      }
    }
    return rd;
  }

  static void stop_daemon(running_daemon& rd) {
    if (!rd.child) {
      return;
    }
    rd.child->signal(SIGTERM);
    if (!rd.child->wait(20s)) {
      rd.child->signal(SIGKILL);
      rd.child->wait(5s);
    }
    rd.child.reset();
  }

  /// The value of an unlabelled series in Prometheus text, or -1.
  static double metric_value(const std::string& text, const std::string& name) {
    auto key = "\n" + name + " ";
    auto pos = text.find(key);
    if (pos == std::string::npos) {
      return -1;
    }
    return std::strtod(text.c_str() + pos + key.size(), nullptr);
  }

  static json latency_json(const latency_histogram& h) {
    auto ms = [](double s) { return s * 1000; };
    return {
      {"observed", h.observed},
      {"negative", h.negative},
      {"bucket_ms", static_cast<double>(latency_histogram::bucket_us) / 1000},
      {"mean_ms", h.observed > 0
                    ? h.sum_us / 1000 / static_cast<double>(h.observed)
                    : 0.0},
      {"p50_ms", ms(h.quantile_seconds(0.5))},
      {"p90_ms", ms(h.quantile_seconds(0.9))},
      {"p99_ms", ms(h.quantile_seconds(0.99))},
      {"p999_ms", ms(h.quantile_seconds(0.999))},
      {"max_ms", static_cast<double>(h.max_us) / 1000}};
  }

  /// Deliveries/s over the reader's window: from the first record on any
  /// connection to the last progress, once every connection has all.
  static double window_seconds(const frame_reader& r) {
    return static_cast<double>(r.last_progress_ns() - r.first_record_ns()) /
           1e9;
  }

  /// One raw-floor round: `frames` (records starting at `starts`) written
  /// by one thread to n loopback TCP connections, read by a frame_reader
  /// with `threads` threads.
  caf::expected<json> fanout_raw_round(std::size_t n, const std::string& frames,
                                       const std::vector<std::size_t>& starts,
                                       int threads) {
    const auto records = static_cast<uint64_t>(starts.size());
    const double deliveries =
      static_cast<double>(records) * static_cast<double>(n);
    auto pairs = make_loopback_pairs(n);
    if (!pairs) {
      return pairs.error();
    }
    frame_reader raw_reader{std::move(pairs->reader_fds), {}, {threads, false}};
    // The readers' own start (buffers, first epoll_wait) is not the floor's.
    std::this_thread::sleep_for(50ms);
    const double reader_cpu0 = raw_reader.cpu_seconds();
    caf::expected<fanout_floor_result> floor{fanout_floor_result{}};
    std::thread writer(
      [&] { floor = write_fanout_floor(pairs->writer_fds, frames, starts); });
    auto t_raw = steady::now();
    auto phase = "raw floor, " + std::to_string(n) + " connections, " +
                 std::to_string(threads) + " reader thread(s)";
    auto raw_err = raw_reader.wait_for(
      [&] { return records; },
      t_raw + std::chrono::seconds(sc_.round_timeout_secs),
      [this] { return stopping(); },
      [&] {
        auto total = static_cast<double>(raw_reader.records());
        progress(phase, seconds_since(t_raw, steady::now()),
                 total / std::max(1e-3, seconds_since(t_raw, steady::now())),
                 total, deliveries, 0);
      });
    end_progress();
    raw_reader.stop();
    // A failed read leaves the writer waiting on full sockets: shutting
    // them down ends it.
    if (raw_err) {
      for (int fd : pairs->writer_fds) {
        ::shutdown(fd, SHUT_RDWR);
      }
    }
    writer.join();
    close_all(pairs->writer_fds);
    if (raw_err) {
      return raw_err;
    }
    if (!floor) {
      return floor.error();
    }
    const double secs = window_seconds(raw_reader);
    const double reader_cpu = raw_reader.cpu_seconds() - reader_cpu0;
    return json{
      {"reader_threads", threads},
      {"records", records},
      {"deliveries", deliveries},
      {"seconds", secs},
      {"deliveries_per_second", deliveries / secs},
      {"writer_seconds", floor->seconds},
      {"writer_cpu_seconds", floor->cpu_seconds},
      {"writer_cpu_us_per_delivery", floor->cpu_seconds * 1e6 / deliveries},
      {"writev_calls", floor->writes},
      {"reader_cpu_seconds", reader_cpu},
      {"reader_cpu_us_per_delivery", reader_cpu * 1e6 / deliveries},
      {"reader_busy_fraction", reader_cpu / (secs * threads)},
      {"frame_bytes", frames.size()},
      {"bytes_per_delivery",
       static_cast<double>(frames.size()) /
         static_cast<double>(std::max<uint64_t>(1, records))}};
  }

  caf::error run_fanout(const workload::workload_config& wcfg, json& result) {
    const auto n = static_cast<std::size_t>(sc_.fanout_clients);
    // The bench holds n WebSocket sockets, then 2n for the raw floor.
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < 3 * n + 256 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 3 * n + 256);
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur < 3 * n + 64) {
      return make_error(errc::setup_failed,
                        "fanout.clients = " + std::to_string(n) + " needs " +
                          std::to_string(3 * n + 64) +
                          " open files; the limit is " +
                          std::to_string(lim.rlim_cur) + " (ulimit -n)");
    }
    auto topic = new_topic("fanout");
    if (auto err = create_topic(topic)) {
      return err;
    }
    // The fan-out must take every client and never drop one as slow: the
    // backlog arrives faster than n clients can be written to, and waits
    // in their queues (shared buffers, one reference per client). The
    // scenario's [daemon] table still wins.
    std::vector<std::string> sets;
    auto limit = std::to_string(n + 16);
    for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"http.max_connections_per_ip", limit},
           {"http.ws_max_connections_per_tenant", limit},
           {"http.ws_queue_max_bytes", "1GiB"},
           {"replay.slow_client_threshold", "10000000"},
           {"replay.slow_client_window_secs", "3600"}}) {
      if (sc_.daemon.count(k) == 0) {
        sets.push_back(k + "=" + v);
      }
    }
    auto rd = start_daemon(topic, sets);
    if (!rd) {
      return rd.error();
    }
    auto guard = caf::detail::make_scope_guard([&] { stop_daemon(*rd); });
    auto pid = rd->child->pid();
    auto fail = [&](const caf::error& err) {
      auto code = to_errc(err);
      return make_error(code == errc::none ? errc::child_failed : code,
                        diag::error_detail(err) +
                          " (daemon log: " + rd->log_path + ")");
    };
    // Partitions assigned first, so what is produced next is live.
    for (auto deadline = steady::now() + 30s;;) {
      auto text = http_get(rd->port, "/metrics");
      if (text && text->find("dashstream_consumer_lag_messages{") !=
                    std::string::npos) {
        break;
      }
      if (steady::now() > deadline || !rd->child->running()) {
        return fail(make_error(errc::timed_out, "no partition assigned"));
      }
      std::this_thread::sleep_for(100ms);
    }
    if (opts_.progress) {
      std::cout << "connecting " << n << " WebSocket clients ..." << std::flush;
      progress_shown_ = true;
    }
    auto t_connect = steady::now();
    auto clients = connect_websocket_clients(rd->port, n);
    end_progress();
    if (!clients) {
      return fail(clients.error());
    }
    auto connect_seconds = seconds_since(t_connect, steady::now());
    frame_reader reader{std::move(clients->fds),
                        std::move(clients->leftovers),
                        {sc_.fanout_reader_threads, true}};
    // Every session subscribed to the fan-out before the first record.
    for (auto deadline = steady::now() + 30s;;) {
      auto text = http_get(rd->port, "/metrics");
      if (text && metric_value(*text, "dashstream_websocket_sessions") >=
                    static_cast<double>(n)) {
        break;
      }
      if (steady::now() > deadline || !rd->child->running()) {
        return fail(make_error(errc::timed_out,
                               "the daemon did not start " + std::to_string(n) +
                                 " WebSocket sessions in 30 s"));
      }
      std::this_thread::sleep_for(50ms);
    }
    // A session subscribes right after it starts; give the last ones the
    // time of that one message.
    std::this_thread::sleep_for(300ms);

    // 1. The maximum: the backlog produced at full speed while n clients
    // listen; done when every client has every record.
    // In the live phase: what the pipeline had processed, every ~200 ms, to
    // tell a pause upstream of the fan-out (processing stops too) from one
    // in it (processing goes on while deliveries stop).
    json processed_series = json::array();
    std::optional<steady::time_point> series_t0;
    auto produce_live = [&](const workload::workload_config& cfg, double rate,
                            const std::string& phase,
                            json& produced) -> caf::error {
      std::atomic<uint64_t> expected{UINT64_MAX};
      const uint64_t base = reader.min_records();
      std::thread producer([&] {
        auto stop = [this] { return live_abort_.load() || stopping(); };
        auto p = produce(cfg, topic, rate, stop);
        if (!p) {
          produced = {{"error", diag::describe(p.error())}};
          expected = 0;
          return;
        }
        produced = *p;
        expected =
          base + (*p)["sent"].get<uint64_t>() - (*p)["corrupt"].get<uint64_t>();
      });
      auto t0 = steady::now();
      auto err = reader.wait_for(
        [&] { return expected.load(); },
        t0 + std::chrono::seconds(sc_.round_timeout_secs),
        [this] { return stopping(); },
        [&] {
          if (series_t0) {
            if (auto text = http_get(rd->port, "/metrics")) {
              processed_series.push_back(
                {seconds_since(*series_t0, steady::now()),
                 parse_metrics(*text).processed()});
            }
          }
          auto total = static_cast<double>(reader.records());
          progress(phase, seconds_since(t0, steady::now()),
                   total / std::max(1e-3, seconds_since(t0, steady::now())),
                   total,
                   static_cast<double>(expected.load() == UINT64_MAX
                                         ? cfg.count
                                         : expected.load() - base) *
                     static_cast<double>(n),
                   0);
        });
      live_abort_ = static_cast<bool>(err);
      producer.join();
      live_abort_ = false;
      end_progress();
      if (produced.contains("error")) {
        return make_error(errc::setup_failed,
                          phase + ": producer: " + produced["error"].dump());
      }
      return err;
    };
    auto cpu0 = sample_process(pid);
    double reader_cpu0 = reader.cpu_seconds();
    reader.reset_first_record();
    json max_produced;
    if (auto err = produce_live(
          wcfg, 0, "fan-out to " + std::to_string(n) + " clients, backlog",
          max_produced)) {
      return fail(err);
    }
    auto cpu1 = sample_process(pid);
    const uint64_t records = reader.min_records();
    const double deliveries =
      static_cast<double>(records) * static_cast<double>(n);
    const double fan_seconds = window_seconds(reader);
    const double fan_dps = deliveries / fan_seconds;
    const double daemon_cpu =
      cpu0 && cpu1 ? cpu1->cpu_seconds - cpu0->cpu_seconds : 0.0;
    const double fan_reader_cpu = reader.cpu_seconds() - reader_cpu0;
    json fan = {
      {"records", records},
      {"deliveries", deliveries},
      {"seconds", fan_seconds},
      {"deliveries_per_second", fan_dps},
      {"records_per_second", static_cast<double>(records) / fan_seconds},
      {"daemon_cpu_seconds", daemon_cpu},
      {"daemon_cpu_us_per_delivery", daemon_cpu * 1e6 / deliveries},
      {"reader_cpu_seconds", fan_reader_cpu},
      {"reader_cpu_us_per_delivery", fan_reader_cpu * 1e6 / deliveries},
      {"reader_busy_fraction",
       fan_reader_cpu / (fan_seconds * sc_.fanout_reader_threads)},
      {"connect_seconds", connect_seconds},
      {"produce", max_produced}};

    // 2. Live at a fraction of that maximum, for the latency: the header
    // timestamp (stamped by the producer as it sends) to the moment a
    // client has read the whole value frame.
    const double max_rate = static_cast<double>(records) / fan_seconds;
    const double rate = std::max(1.0, max_rate * sc_.load_fraction);
    auto live_cfg = live_workload(
      wcfg,
      std::max<uint64_t>(1, static_cast<uint64_t>(rate * sc_.duration_secs)));
    // The daemon's own view of the same records: header timestamp to the
    // end of processing (dashstream_e2e_latency_seconds), this phase only.
    histogram e2e_before;
    if (auto text = http_get(rd->port, "/metrics")) {
      e2e_before = parse_metrics(*text).e2e_latency;
    }
    reader.measure_latency(true);
    series_t0 = steady::now();
    auto live_cpu0 = sample_process(pid);
    auto live_t0 = steady::now();
    json live_produced;
    if (auto err = produce_live(
          live_cfg, rate,
          "live at " +
            std::to_string(static_cast<int>(sc_.load_fraction * 100)) +
            "% of max",
          live_produced)) {
      return fail(err);
    }
    const uint64_t all_records = reader.min_records();
    auto live_cpu1 = sample_process(pid);
    const double live_seconds = seconds_since(live_t0, steady::now());
    const double live_cpu = live_cpu0 && live_cpu1
                              ? live_cpu1->cpu_seconds - live_cpu0->cpu_seconds
                              : 0.0;
    std::string metrics;
    if (auto text = http_get(rd->port, "/metrics")) {
      metrics = *text;
      // The daemon's last scrape beside its log, for what the summary
      // does not carry.
      std::ofstream{rd->log_path + ".metrics"} << metrics;
    }
    auto e2e = parse_metrics(metrics).e2e_latency.minus(e2e_before);
    auto e2e_q = [&e2e](double q) {
      auto e = quantile(e2e, q);
      return e.valid ? json{{"ms", e.value * 1000},
                            {"bucket_ms", {e.lower * 1000, e.upper * 1000}}}
                     : json{};
    };
    auto final_proc = sample_process(pid);
    reader.stop();
    auto hist = reader.latency();
    json timeline = json::array();
    for (const auto& sl : reader.latency_timeline()) {
      timeline.push_back({{"records", sl.records},
                          {"late", sl.late},
                          {"max_ms", static_cast<double>(sl.max_us) / 1000}});
    }
    std::string frames = reader.captured();
    std::vector<std::size_t> starts = reader.captured_starts();
    guard.disable();
    stop_daemon(*rd);
    const double slow_drops = metric_value(
      metrics, "dashstream_websocket_slow_client_disconnects_total");
    const double queued =
      metric_value(metrics, "dashstream_websocket_records_sent_total");

    // 3. The raw floor: the first client's record frames, byte for byte,
    // written by one thread to n loopback TCP connections and read by the
    // same reader as the fan-out.
    if (starts.size() != all_records) {
      return make_error(errc::child_failed,
                        "captured " + std::to_string(starts.size()) +
                          " records on the first client, expected " +
                          std::to_string(all_records));
    }
    // Only the backlog's records: the same count as the maximum.
    frames.resize(records < starts.size() ? starts[records] : frames.size());
    starts.resize(records);
    json raws = json::array();
    json raw;
    double raw_dps = 0;
    for (int threads : sc_.fanout_raw_reader_threads) {
      auto r = fanout_raw_round(n, frames, starts, threads);
      if (!r) {
        return r.error();
      }
      raws.push_back(*r);
      if ((*r)["deliveries_per_second"].get<double>() > raw_dps) {
        raw_dps = (*r)["deliveries_per_second"].get<double>();
        raw = *r;
      }
    }
    const auto live_records = all_records - records;
    result["fanout"] = {
      {"clients", n},
      {"reader_threads", sc_.fanout_reader_threads},
      {"fanout", fan},
      {"raw_floor", raw},
      {"raw_floor_rounds", raws},
      {"live",
       {{"load_fraction", sc_.load_fraction},
        {"target_records_per_second", rate},
        {"target_deliveries_per_second", rate * static_cast<double>(n)},
        {"records", live_records},
        {"seconds", live_seconds},
        {"daemon_cpu_cores", live_cpu / live_seconds},
        {"daemon_cpu_us_per_delivery",
         live_cpu * 1e6 /
           std::max(1.0, static_cast<double>(live_records) *
                           static_cast<double>(n))},
        {"produce", live_produced},
        {"latency", latency_json(hist)},
        // Per 250 ms since the live phase began: deliveries, those later
        // than 20 ms, the latest.
        {"latency_timeline", timeline},
        // [seconds since the live phase began, records processed].
        {"daemon_processed", processed_series},
        {"daemon_e2e_latency",
         {{"observed", e2e.count},
          {"p50", e2e_q(0.5)},
          {"p99", e2e_q(0.99)}}}}},
      {"daemon",
       {{"log", rd->log_path},
        {"records_queued_to_clients", queued},
        {"slow_client_disconnects", slow_drops},
        {"allocator_purges",
         metric_value(metrics, "dashstream_allocator_purges_total")},
        {"peak_rss_bytes", final_proc ? final_proc->peak_rss_bytes : 0}}}};
    const auto lat = latency_json(hist);
    result["summary"] = {
      {"clients", n},
      {"fanout_deliveries_per_second", fan_dps},
      {"raw_deliveries_per_second", raw_dps},
      {"ratio_fanout_to_raw", fan_dps / raw_dps},
      {"daemon_cpu_us_per_delivery", daemon_cpu * 1e6 / deliveries},
      {"raw_writer_cpu_us_per_delivery", raw["writer_cpu_us_per_delivery"]},
      {"raw_reader_threads", raw["reader_threads"]},
      {"fanout_reader_busy_fraction", fan["reader_busy_fraction"]},
      {"raw_reader_busy_fraction", raw["reader_busy_fraction"]},
      {"records", records},
      {"live_records", live_records},
      {"every_client_has_every_record",
       reader.min_records() == all_records && slow_drops <= 0},
      {"latency_p50_ms", lat["p50_ms"]},
      {"latency_p99_ms", lat["p99_ms"]},
      {"latency_observed", hist.observed},
      {"latency_expected",
       static_cast<double>(live_records) * static_cast<double>(n)},
    };
    return {};
  }

  const scenario& sc_;
  const run_options& opts_;
  std::string brokers_;
  std::unique_ptr<kafka::mock_cluster> mock_;
  std::string run_id_;
  int seq_ = 0;
  bool samples_started_ = false;
  std::string spool_dir_; // of the daemon that daemon_argv() last described
  bool progress_shown_ = false;
  std::atomic<bool> live_abort_{false};
  json version_;
};

} // namespace

caf::expected<json> run_scenario(const scenario& sc, const run_options& opts) {
  session s{sc, opts};
  return s.run();
}

} // namespace ds::bench
