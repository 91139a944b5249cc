#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/metric_family.h>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace ds::app {

/// One /api/stats sample: the registry's families an operator's overview
/// needs, summed over the labels it does not show. Counters are cumulative
/// (the same numbers /metrics gives); the browser derives rates from two
/// samples. Latency quantiles cover only the records since the previous
/// sample.
struct stats_sample {
  int64_t t_ms = 0;
  std::map<std::string, double> records;       // by outcome
  std::map<std::string, double> decode_errors; // by reason
  double gaps = 0, duplicates = 0, reorders = 0;
  struct lag {
    int32_t partition = 0;
    double messages = 0;
    double seconds = 0;
  };
  std::vector<lag> lags;
  std::optional<double> p50, p99; // seconds; none when no record finished
  double latency_count = 0;
  double dlq_records = 0;
  std::map<std::string, double> dlq_by_type;
  double spooled_records = 0, spooled_bytes = 0, spool_oldest_age = 0;
  double dlq_write_failures = 0;
  std::string breaker = "closed";
  double connections = 0, sessions = 0;
  double restarts = 0;
  double uptime_seconds = 0;
};

/// The cumulative e2e latency histogram as one sample saw it.
struct latency_buckets {
  std::vector<double> upper; // bucket upper bounds, +Inf last
  std::vector<double> cumulative;
};

/// The sample for `families` at `now`; `previous` is the latency histogram
/// of the last sample (updated to this one's).
stats_sample summarize(const std::vector<prometheus::MetricFamily>& families,
                       std::chrono::system_clock::time_point now,
                       latency_buckets& previous);

/// The q-quantile (0..1) of the records counted between two cumulative
/// histograms, interpolated inside its bucket as Prometheus'
/// histogram_quantile() does; none when no record fell between them. A
/// counter that went down (a reset) counts from zero.
std::optional<double> interval_quantile(const latency_buckets& before,
                                        const latency_buckets& after, double q);

/// The sample as compact JSON (docs/ui.md lists the fields).
std::string to_json(const stats_sample& s);

/// Takes a sample of the registry every `interval` on its own thread and
/// keeps the last `history` of them: the page opened now still draws the
/// minutes before it. Readers (the /api/stats handler, on the HTTP io
/// thread) only copy strings under a mutex.
class stats_sampler {
public:
  stats_sampler(prometheus::Registry& reg, std::chrono::milliseconds interval,
                std::chrono::seconds history);
  ~stats_sampler();
  stats_sampler(const stats_sampler&) = delete;
  stats_sampler& operator=(const stats_sampler&) = delete;

  /// {"interval_ms", "history_secs", "now_ms", "samples": [...]} with the
  /// samples newer than `since_ms` (all kept ones for 0), oldest first.
  /// `health` is spliced in as the "health" member (a JSON object).
  std::string json(int64_t since_ms, const std::string& health) const;

  /// Takes a sample now (tests; the thread calls it every interval).
  void sample_now();

private:
  void run(const std::stop_token& stop);

  prometheus::Registry& reg_;
  std::chrono::milliseconds interval_;
  std::size_t capacity_;
  latency_buckets last_latency_; // the sampling thread's only
  mutable std::mutex mtx_;
  std::deque<std::pair<int64_t, std::string>> samples_;
  std::mutex wake_mtx_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

} // namespace ds::app
