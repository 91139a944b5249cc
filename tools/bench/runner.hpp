#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "tools/bench/scenario.hpp"

namespace ds::bench {

struct run_options {
  /// Kafka bootstrap servers; empty: an embedded mock broker in this
  /// process.
  std::string brokers;
  /// The `dashstream` binary to run as the daemon and the raw floor.
  std::string dashstream_exe;
  /// Daemon logs and raw-floor outputs go here.
  std::string work_dir;
  /// Redraw a progress line on stdout (a terminal).
  bool progress = false;
  /// Asked often; true stops the run (errc::interrupted).
  std::function<bool()> should_stop;
  std::chrono::milliseconds scrape_interval{50};
  /// Near the end of a run (next_scrape_delay()): the resolution of its
  /// finish time.
  std::chrono::milliseconds fine_scrape_interval{5};
  /// When set, every scrape of every daemon round goes to this CSV file
  /// (phase, seconds since the daemon started, processed, DLQ records,
  /// spooled now, daemon CPU seconds, RSS): the timeline at full
  /// resolution, where the JSON result keeps 0.5 s windows.
  std::string samples_file;
};

/// Runs a scenario end to end and returns its result document (see
/// docs/benchmarks.md, "Method", for the fields). Runs on the calling
/// thread; spawns the daemon and the raw floor as child processes.
caf::expected<nlohmann::json> run_scenario(const scenario& sc,
                                           const run_options& opts);

/// The directory of the shipped scenarios (bench/scenarios in the source
/// tree this binary was built from).
std::string default_scenario_dir();

} // namespace ds::bench
