#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "app/command.hpp"
#include "app/exit_code.hpp"
#include "app/signals.hpp"
#include "diag/errc.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/errc.hpp"
#include "tools/bench/raw_floor.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/runner.hpp"
#include "tools/bench/scenario.hpp"

namespace ds::app {

namespace {

struct bench_options {
  std::string scenario;
  std::string brokers;
  std::string scenario_dir = bench::default_scenario_dir();
  std::string json_file;
  std::string samples_file;
  std::string plot;
  std::string work_dir;
  bool json = false;
  bool quiet = false;
  int rounds = 0;
};

struct raw_options {
  std::string brokers;
  std::string topic;
  std::string group;
  uint64_t count = 0;
  int timeout_secs = 120;
  std::vector<std::string> properties;
};

int run_bench(const bench_options& o) {
  auto path = bench::resolve_scenario_path(o.scenario, o.scenario_dir);
  auto sc = bench::load_scenario(path);
  if (!sc) {
    std::cerr << "error: " << diag::describe(sc.error())
              << "\n(a scenario is a TOML file or a name under "
              << o.scenario_dir << ")\n";
    return exit_usage;
  }
  if (o.rounds > 0) {
    sc->rounds = o.rounds;
  }
  // Before librdkafka starts threads, so only our poll sees Ctrl-C.
  auto stop = stop_signals::block();
  bench::run_options ro;
  ro.brokers = o.brokers;
  ro.dashstream_exe = bench::self_exe();
  ro.progress = !o.json && !o.quiet && ::isatty(STDOUT_FILENO) != 0;
  ro.should_stop = [&stop] { return stop.poll() != 0; };
  ro.work_dir = o.work_dir;
  ro.samples_file = o.samples_file;
  if (ro.work_dir.empty()) {
    char tmpl[] = "/tmp/dashstream-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::cerr << "error: cannot create a work directory in /tmp\n";
      return exit_failure;
    }
    ro.work_dir = tmpl;
  } else {
    std::filesystem::create_directories(ro.work_dir);
  }
  if (!o.json && !o.quiet) {
    std::cerr << "bench " << sc->name << ": logs in " << ro.work_dir << '\n';
  }
  auto result = bench::run_scenario(*sc, ro);
  if (!result) {
    std::cerr << "error: " << diag::describe(result.error()) << '\n';
    return bench::to_errc(result.error()) == bench::errc::invalid_scenario
             ? exit_usage
             : exit_failure;
  }
  int rc = exit_ok;
  if (!o.plot.empty()) {
    if (auto err = bench::write_plot(*result, o.plot)) {
      std::cerr << "error: plot: " << diag::describe(err) << '\n';
      rc = exit_failure;
    } else {
      (*result)["plot"] = o.plot;
    }
  }
  if (!o.json_file.empty()) {
    std::ofstream out{o.json_file, std::ios::trunc};
    if (!(out << result->dump(2) << '\n')) {
      std::cerr << "error: cannot write " << o.json_file << '\n';
      rc = exit_failure;
    }
  }
  if (o.json) {
    std::cout << result->dump() << '\n';
  } else {
    bench::print_summary(*result, std::cout);
    if (!o.plot.empty() && rc == exit_ok) {
      std::cout << "  plot: " << o.plot << '\n';
    }
  }
  return rc;
}

int run_raw(const raw_options& o) {
  bench::raw_floor_config cfg;
  cfg.brokers = o.brokers;
  cfg.topic = o.topic;
  cfg.group_id = o.group;
  cfg.count = o.count;
  cfg.timeout = std::chrono::seconds(o.timeout_secs);
  for (const auto& kv : o.properties) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::cerr << "error: --property " << kv << ": expected KEY=VALUE\n";
      return exit_usage;
    }
    cfg.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  auto r = bench::run_raw_floor(cfg);
  if (!r) {
    std::cerr << "error: " << diag::describe(r.error()) << '\n';
    return exit_failure;
  }
  std::cout << '\n' << bench::to_json(*r).dump() << std::endl;
  return r->timed_out ? exit_failure : exit_ok;
}

} // namespace

void add_bench_command(CLI::App& root, command_context& ctx) {
  auto o = std::make_shared<bench_options>();
  auto* cmd = root.add_subcommand(
    "bench",
    "Load-test the whole system with a scenario and measure it against a "
    "raw librdkafka consumer in the same run (docs/benchmarks.md)");
  cmd
    ->add_option("scenario", o->scenario,
                 "A scenario file, or a name under --scenario-dir "
                 "(ingest-100b, latency-50pct, sweep, ...)")
    ->required();
  cmd
    ->add_option("--brokers", o->brokers,
                 "Kafka bootstrap servers; default: an embedded broker "
                 "(librdkafka mock, ~5 MiB per partition)")
    ->envname("KAFKA_BROKERS");
  cmd
    ->add_option("--scenario-dir", o->scenario_dir, "Where names are looked up")
    ->capture_default_str();
  cmd
    ->add_option("--rounds", o->rounds,
                 "Raw/pipeline pairs (overrides the scenario)")
    ->check(CLI::Range(1, 20));
  cmd->add_flag("--json", o->json,
                "Print the whole result as one JSON object on stdout");
  cmd
    ->add_option("--json-file", o->json_file,
                 "Also write the result (indented JSON) to this file")
    ->type_name("FILE");
  cmd
    ->add_option("--samples-file", o->samples_file,
                 "Write every scrape of every daemon round to this CSV "
                 "(50 ms resolution: processed, DLQ records, spooled, CPU, "
                 "RSS)")
    ->type_name("FILE");
  cmd
    ->add_option("--plot", o->plot,
                 "Plot throughput and latency over time (gnuplot) to this "
                 "PNG; the data goes to FILE.png.dat")
    ->type_name("FILE.png");
  cmd
    ->add_option("--work-dir", o->work_dir,
                 "Daemon and raw-floor logs; default: a new /tmp directory")
    ->type_name("DIR");
  cmd->add_flag("--quiet", o->quiet, "No progress line");
  cmd->callback([o, &ctx] { ctx.exit_status = run_bench(*o); });

  // The raw floor, run by `bench` as a child process so that its CPU time
  // is its own. Hidden: not for users.
  auto r = std::make_shared<raw_options>();
  auto* raw = root.add_subcommand("bench-raw",
                                  "The raw floor consumer of dashstream bench");
  raw->group("");
  raw->add_option("--brokers", r->brokers)->required();
  raw->add_option("--topic", r->topic)->required();
  raw->add_option("--group", r->group)->required();
  raw->add_option("--count", r->count)->required();
  raw->add_option("--timeout", r->timeout_secs);
  raw->add_option("--property", r->properties);
  raw->callback([r, &ctx] { ctx.exit_status = run_raw(*r); });
}

} // namespace ds::app
