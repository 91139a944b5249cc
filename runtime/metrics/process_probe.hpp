#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ds::metrics {

/// What `dashstream_build_info` reports; the composition root fills it from
/// the build (project version, git sha) and the proto schema.
struct build_info {
  std::string version;
  std::string git_sha;
  std::string schema_version = "1";
};

/// The process's own metrics. Build info and start time are set once; the
/// rest is read from /proc when collect_process() runs, i.e. at scrape time,
/// so an idle process costs nothing between scrapes. Created once by the
/// composition root; collect_process() may be called from any thread.
class process_probe {
public:
  process_probe(prometheus::Registry& registry, const build_info& info);

  process_probe(const process_probe&) = delete;
  process_probe& operator=(const process_probe&) = delete;

  /// Seconds since the Unix epoch when the process started.
  double start_time_seconds() const noexcept { return start_time_; }

  /// True when the process runs on jemalloc (linked or preloaded) and
  /// `dashstream_allocator_bytes` is exported.
  bool has_allocator_stats() const noexcept { return !allocator_.empty(); }

private:
  friend caf::error collect_process(process_probe& probe);

  void collect_allocator();

  double start_time_;
  prometheus::Gauge& build_info_;
  prometheus::Gauge& start_time_gauge_;
  prometheus::Gauge& uptime_;
  prometheus::Gauge& resident_memory_;
  prometheus::Gauge& resident_memory_max_;
  prometheus::Counter& cpu_seconds_;
  /// dashstream_allocator_bytes by state (allocator::stats' members, in
  /// their order); empty without jemalloc.
  std::vector<prometheus::Gauge*> allocator_;
  std::mutex mtx_;
  double cpu_reported_ = 0; // what cpu_seconds_ has been advanced to
};

/// Refreshes uptime, resident memory (now and peak) and CPU time from
/// /proc/self, and the allocator's statistics when it has them. Call from
/// the /metrics handler before render_text(). On failure (no /proc) the
/// values keep what they had and the error says what could not be read; the
/// scrape should go on.
caf::error collect_process(process_probe& probe);

/// One reading of /proc/self, exposed for tests.
struct proc_reading {
  double cpu_seconds = 0;        // user + system
  double resident_bytes = 0;     // statm resident pages * page size
  double start_time_seconds = 0; // boot time + starttime ticks
};

/// The value of a "Name:   N kB" line of /proc/self/status, in bytes.
caf::expected<double> parse_status_kb(const std::string& status,
                                      std::string_view name);

/// Parses the text of /proc/self/stat, /proc/self/statm and /proc/stat.
caf::expected<proc_reading> parse_proc(const std::string& stat,
                                       const std::string& statm,
                                       const std::string& system_stat,
                                       long ticks_per_second, long page_size);

} // namespace ds::metrics
