#include "app/stats_sampler.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

namespace ds::app {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string label_of(const ClientMetric& m, std::string_view name) {
  for (const auto& l : m.label) {
    if (l.name == name) {
      return l.value;
    }
  }
  return {};
}

double value_of(const MetricFamily& f, const ClientMetric& m) {
  switch (f.type) {
    case MetricType::Counter:
      return m.counter.value;
    case MetricType::Gauge:
      return m.gauge.value;
    default:
      return 0;
  }
}

double sum_of(const MetricFamily& f) {
  double total = 0;
  for (const auto& m : f.metric) {
    total += value_of(f, m);
  }
  return total;
}

std::map<std::string, double> by_label(const MetricFamily& f,
                                       std::string_view label) {
  std::map<std::string, double> out;
  for (const auto& m : f.metric) {
    out[label_of(m, label)] += value_of(f, m);
  }
  return out;
}

latency_buckets buckets_of(const MetricFamily& f) {
  latency_buckets out;
  if (f.metric.empty()) {
    return out;
  }
  for (const auto& b : f.metric.front().histogram.bucket) {
    out.upper.push_back(b.upper_bound);
    out.cumulative.push_back(static_cast<double>(b.cumulative_count));
  }
  return out;
}

std::string_view breaker_name(double state) {
  // dashstream_circuit_breaker_state: 0 closed, 1 half-open, 2 open.
  if (state >= 1.5) {
    return "open";
  }
  return state >= 0.5 ? "half_open" : "closed";
}

nlohmann::json number_map(const std::map<std::string, double>& m) {
  auto out = nlohmann::json::object();
  for (const auto& [k, v] : m) {
    out[k] = v;
  }
  return out;
}

nlohmann::json optional_number(const std::optional<double>& x) {
  return x ? nlohmann::json(*x) : nlohmann::json(nullptr);
}

} // namespace

std::optional<double> interval_quantile(const latency_buckets& before,
                                        const latency_buckets& after,
                                        double q) {
  if (after.cumulative.empty()) {
    return std::nullopt;
  }
  bool reset = before.cumulative.size() != after.cumulative.size() ||
               before.cumulative.back() > after.cumulative.back();
  std::vector<double> counts(after.cumulative.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = after.cumulative[i] - (reset ? 0.0 : before.cumulative[i]);
  }
  double total = counts.back();
  if (total <= 0) {
    return std::nullopt;
  }
  double rank = q * total;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] >= rank) {
      double lower = i == 0 ? 0.0 : after.upper[i - 1];
      double below = i == 0 ? 0.0 : counts[i - 1];
      double upper = after.upper[i];
      if (std::isinf(upper)) {
        return lower; // past the last finite bound: its bound, as Prometheus
      }
      double in_bucket = counts[i] - below;
      if (in_bucket <= 0) {
        return upper;
      }
      return lower + (upper - lower) * (rank - below) / in_bucket;
    }
  }
  return after.upper.size() > 1 ? after.upper[after.upper.size() - 2] : 0.0;
}

stats_sample summarize(const std::vector<MetricFamily>& families,
                       std::chrono::system_clock::time_point now,
                       latency_buckets& previous) {
  stats_sample s;
  s.t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
             now.time_since_epoch())
             .count();
  std::map<int32_t, stats_sample::lag> lags;
  double start_time = 0;
  for (const auto& f : families) {
    const auto& n = f.name;
    if (n == "dashstream_records_total") {
      s.records = by_label(f, "outcome");
    } else if (n == "dashstream_decode_errors_total") {
      s.decode_errors = by_label(f, "reason");
    } else if (n == "dashstream_sequence_gaps_total") {
      s.gaps = sum_of(f);
    } else if (n == "dashstream_sequence_duplicates_total") {
      s.duplicates = sum_of(f);
    } else if (n == "dashstream_sequence_reorders_total") {
      s.reorders = sum_of(f);
    } else if (n == "dashstream_consumer_lag_messages" ||
               n == "dashstream_consumer_lag_seconds") {
      bool messages = n == "dashstream_consumer_lag_messages";
      for (const auto& m : f.metric) {
        auto label = label_of(m, "partition");
        int32_t p = 0;
        auto [end, ec] =
          std::from_chars(label.data(), label.data() + label.size(), p);
        if (ec != std::errc{} || end != label.data() + label.size()) {
          continue;
        }
        auto& l = lags[p];
        l.partition = p;
        (messages ? l.messages : l.seconds) = value_of(f, m);
      }
    } else if (n == "dashstream_e2e_latency_seconds") {
      auto now_buckets = buckets_of(f);
      s.p50 = interval_quantile(previous, now_buckets, 0.5);
      s.p99 = interval_quantile(previous, now_buckets, 0.99);
      if (!now_buckets.cumulative.empty()) {
        bool reset = previous.cumulative.empty() ||
                     previous.cumulative.back() > now_buckets.cumulative.back();
        s.latency_count = now_buckets.cumulative.back() -
                          (reset ? 0.0 : previous.cumulative.back());
      }
      previous = std::move(now_buckets);
    } else if (n == "dashstream_dlq_records_total") {
      s.dlq_by_type = by_label(f, "error_type");
      s.dlq_records = sum_of(f);
    } else if (n == "dashstream_dlq_spooled_records") {
      s.spooled_records = sum_of(f);
    } else if (n == "dashstream_dlq_spooled_bytes") {
      s.spooled_bytes = sum_of(f);
    } else if (n == "dashstream_dlq_spool_oldest_age_seconds") {
      s.spool_oldest_age = sum_of(f);
    } else if (n == "dashstream_dlq_write_failures_total") {
      s.dlq_write_failures = sum_of(f);
    } else if (n == "dashstream_circuit_breaker_state") {
      s.breaker = std::string{breaker_name(sum_of(f))};
    } else if (n == "dashstream_websocket_connections") {
      s.connections = sum_of(f);
    } else if (n == "dashstream_websocket_sessions") {
      s.sessions = sum_of(f);
    } else if (n == "dashstream_actor_restarts_total") {
      s.restarts = sum_of(f);
    } else if (n == "dashstream_process_start_time_seconds") {
      start_time = sum_of(f);
    }
  }
  for (auto& [p, l] : lags) {
    s.lags.push_back(l);
  }
  if (start_time > 0) {
    s.uptime_seconds =
      std::max(0.0, static_cast<double>(s.t_ms) / 1000.0 - start_time);
  }
  return s;
}

std::string to_json(const stats_sample& s) {
  auto lag = nlohmann::json::array();
  for (const auto& l : s.lags) {
    lag.push_back({{"partition", l.partition},
                   {"messages", l.messages},
                   {"seconds", l.seconds}});
  }
  nlohmann::json j{
    {"t", s.t_ms},
    {"records", number_map(s.records)},
    {"decode_errors", number_map(s.decode_errors)},
    {"sequence",
     {{"gaps", s.gaps},
      {"duplicates", s.duplicates},
      {"reorders", s.reorders}}},
    {"lag", std::move(lag)},
    {"latency",
     {{"p50", optional_number(s.p50)},
      {"p99", optional_number(s.p99)},
      {"count", s.latency_count}}},
    {"dlq",
     {{"records", s.dlq_records},
      {"by_error_type", number_map(s.dlq_by_type)},
      {"spooled_records", s.spooled_records},
      {"spooled_bytes", s.spooled_bytes},
      {"spool_oldest_age_seconds", s.spool_oldest_age},
      {"write_failures", s.dlq_write_failures}}},
    {"breaker", s.breaker},
    {"clients", {{"connections", s.connections}, {"sessions", s.sessions}}},
    {"restarts", s.restarts},
    {"uptime_seconds", s.uptime_seconds}};
  return j.dump();
}

stats_sampler::stats_sampler(prometheus::Registry& reg,
                             std::chrono::milliseconds interval,
                             std::chrono::seconds history)
  : reg_(reg), interval_(interval),
    capacity_(static_cast<std::size_t>(std::max<int64_t>(
      1,
      std::chrono::duration_cast<std::chrono::milliseconds>(history).count() /
        std::max<int64_t>(1, interval.count())))) {
  sample_now(); // the first request has something to show
  thread_ = std::jthread{[this](const std::stop_token& stop) { run(stop); }};
}

stats_sampler::~stats_sampler() {
  thread_.request_stop();
  wake_.notify_all();
}

void stats_sampler::run(const std::stop_token& stop) {
  std::unique_lock<std::mutex> lock{wake_mtx_};
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, interval_, [] { return false; });
    if (stop.stop_requested()) {
      return;
    }
    sample_now();
  }
}

void stats_sampler::sample_now() {
  auto s =
    summarize(reg_.Collect(), std::chrono::system_clock::now(), last_latency_);
  auto text = to_json(s);
  std::lock_guard<std::mutex> guard{mtx_};
  samples_.emplace_back(s.t_ms, std::move(text));
  while (samples_.size() > capacity_) {
    samples_.pop_front();
  }
}

std::string stats_sampler::json(int64_t since_ms,
                                const std::string& health) const {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  std::string out = "{\"interval_ms\":" + std::to_string(interval_.count()) +
                    ",\"history_secs\":" +
                    std::to_string(capacity_ * interval_.count() / 1000) +
                    ",\"now_ms\":" + std::to_string(now_ms) +
                    ",\"health\":" + health + ",\"samples\":[";
  std::lock_guard<std::mutex> guard{mtx_};
  bool first = true;
  for (const auto& [t, text] : samples_) {
    if (t <= since_ms) {
      continue;
    }
    if (!first) {
      out += ',';
    }
    first = false;
    out += text;
  }
  out += "]}";
  return out;
}

} // namespace ds::app
