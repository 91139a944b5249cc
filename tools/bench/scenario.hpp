#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace ds::bench {

/// What a scenario measures.
enum class scenario_mode : uint8_t {
  /// A backlog is produced first; then the raw floor and the pipeline read
  /// all of it, alternating, each with a fresh consumer group.
  throughput,
  /// A throughput round finds the maximum; then a live run produces at
  /// `load_fraction` of it while the daemon consumes, for the latency.
  latency,
  /// Throughput rounds over a grid of validators x scheduler threads.
  sweep,
  /// Two backlogs, one clean (the workload) and one where every record is
  /// corrupt (`bad_corrupt`, so every record goes to the DLQ); pipeline
  /// rounds over each, alternating, give the bad/clean throughput ratio.
  /// A bad record counts as done once the DLQ holds it durably
  /// (dashstream_dlq_records_total), as the daemon's commit does.
  bad_records,
  /// The WebSocket fan-out: `fanout.clients` clients on GET /ws of one
  /// daemon; the backlog produced while they listen, every record counted
  /// on every client (deliveries/s, daemon CPU per delivery); the raw floor
  /// — the same frame bytes written to as many loopback TCP connections by
  /// one minimal writer, read by the same reader; then live at
  /// `latency.load_fraction` of the measured maximum for the record→client
  /// latency.
  fanout,
  /// One backlog read by the daemon under each of `variants` (named sets
  /// of daemon settings), alternating their order round by round; each
  /// variant's throughput as a ratio against the first's in the same round
  /// (tracing off against tracing at 0, 1 and 100 % sampling, say). A
  /// setting's value "{otlp_sink}" becomes the URL of an OTLP/HTTP sink the
  /// bench runs (it answers every POST /v1/traces with 200).
  variants,
};

/// A named set of extra daemon settings (mode = "variants").
struct scenario_variant {
  std::string name;
  std::map<std::string, std::string> daemon;
};

std::string_view to_string(scenario_mode x) noexcept;

/// The synthetic traffic (see tools/workload/workload_config.hpp).
struct scenario_workload {
  uint64_t count = 100'000;
  std::size_t size = 100;
  uint32_t threads = 1000;
  uint32_t tenants = 1;
  int partitions = 6;
  /// "text" or "random".
  std::string payload = "text";
  /// Empty: the workload's default mix.
  std::string mix;
  uint32_t batch_threads = 3;
  /// Codec framing: zstd on or off, and the size above which it applies.
  bool zstd = true;
  std::size_t compression_threshold = 512;
  /// Fault amounts, "N" or "N%" of count, and a corruption spec.
  std::string gaps = "0";
  std::string duplicates = "0";
  std::string reorders = "0";
  std::string corrupt;
  uint64_t seed = 1;
  /// "off", or "auto": a random sampled W3C traceparent on every record.
  std::string traceparent = "off";
};

/// One bench scenario, loaded from TOML (bench/scenarios/*.toml).
struct scenario {
  std::string name;
  std::string description;
  scenario_mode mode = scenario_mode::throughput;
  /// Raw/pipeline pairs in a throughput run.
  int rounds = 3;
  scenario_workload workload;
  /// Extra daemon settings, passed as --set key=value.
  std::map<std::string, std::string> daemon;
  /// Extra librdkafka consumer properties for both the daemon
  /// (kafka.properties) and the raw floor: same settings on both sides.
  std::map<std::string, std::string> consumer_properties;
  /// latency mode
  double load_fraction = 0.5;
  int duration_secs = 20;
  /// sweep mode
  std::vector<int> sweep_validators{1, 2, 4, 8};
  std::vector<int> sweep_scheduler_threads{1, 2, 4};
  /// bad_records mode: the corruption spec of the all-bad backlog, amounts
  /// relative to workload.count ("all:16.67%" is about count records).
  std::string bad_corrupt = "all:16.67%";
  /// fanout mode: WebSocket clients, and the bench's reader threads.
  int fanout_clients = 0;
  int fanout_reader_threads = 1;
  /// The raw floor runs once per entry, with that many reader threads; the
  /// fastest is the floor (on two cores one reader thread can be the
  /// floor's limit, two take CPU from the writer).
  std::vector<int> fanout_raw_reader_threads{1, 2};
  /// variants mode: the first is the baseline.
  std::vector<scenario_variant> variants;
  /// Per-round limit; a round that does not finish in time fails the run.
  int round_timeout_secs = 120;
};

/// Loads a scenario file. Unknown keys and bad values fail with
/// errc::invalid_scenario naming the key.
caf::expected<scenario> load_scenario(const std::string& path);

/// Resolves a name ("ingest-100b") to bench/scenarios/<name>.toml under
/// `scenario_dir`, or returns `arg` when it is an existing file.
std::string resolve_scenario_path(const std::string& arg,
                                  const std::string& scenario_dir);

} // namespace ds::bench
