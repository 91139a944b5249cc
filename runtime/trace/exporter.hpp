#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include <caf/expected.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "runtime/trace/span.hpp"
#include "runtime/trace/tracer.hpp"

namespace ds::trace {

/// Where OTLP/HTTP goes: OTEL_EXPORTER_OTLP_ENDPOINT's form,
/// "http://host:port[/prefix]"; spans are posted to <prefix>/v1/traces.
struct http_endpoint {
  std::string host;
  uint16_t port = 0;
  std::string traces_path; // "/v1/traces" below the prefix
};

/// Parses an OTLP/HTTP endpoint URL. Only plain http: the daemon talks to a
/// collector beside it (TLS belongs to that collector).
/// errc::bad_endpoint for anything else.
caf::expected<http_endpoint> parse_endpoint(std::string_view url);

/// The exporter's bounds. Every one is explicit: a slow or dead collector
/// costs spans (counted), never the hot path's time or unbounded memory.
struct exporter_config {
  http_endpoint endpoint;
  /// Spans waiting for export; submit() drops (and counts) beyond it.
  std::size_t queue_max_spans = 2048;
  /// Spans per POST.
  std::size_t batch_max_spans = 512;
  /// A batch leaves when full or when this much time passed since the last.
  std::chrono::milliseconds batch_interval{1000};
  /// Bound of one POST, connect to response.
  std::chrono::milliseconds timeout{5000};
};

/// What the exporter did, for metrics and tests.
struct exporter_stats {
  uint64_t exported = 0;
  uint64_t dropped_queue_full = 0;
  uint64_t dropped_export_failed = 0;
  uint64_t failed_posts = 0;
};

/// The exporter's metrics (docs/metrics.md, "Tracing"): what the stats
/// below count, for operators.
struct exporter_probe {
  explicit exporter_probe(prometheus::Registry& registry);

private:
  prometheus::Family<prometheus::Counter>& dropped_;

public:
  prometheus::Counter& exported;
  prometheus::Counter& dropped_queue_full;
  prometheus::Counter& dropped_export_failed;
  prometheus::Counter& failed_posts;
  prometheus::Gauge& queued;
};

/// Batches finished spans to an OTLP/HTTP collector (OTLP/JSON bodies) on
/// its own thread. submit() never blocks on the network: it takes a mutex
/// for a queue push. A failed POST drops its batch (counted) and the next
/// batch tries again: export resumes by itself when the collector is back.
class otlp_exporter final : public span_sink {
public:
  otlp_exporter(exporter_config cfg, resource_info resource,
                std::shared_ptr<exporter_probe> probe = nullptr);
  ~otlp_exporter() override; // one last bounded attempt for what is queued
  otlp_exporter(const otlp_exporter&) = delete;
  otlp_exporter& operator=(const otlp_exporter&) = delete;

  /// Queues `s`; false (counted as dropped) when the queue is full.
  bool try_submit(span_data s);

  void submit(span_data s) override { try_submit(std::move(s)); }

  exporter_stats stats() const;

private:
  void run(const std::stop_token& stop);
  void post(std::deque<span_data>& batch);

  exporter_config cfg_;
  resource_info resource_;
  std::shared_ptr<exporter_probe> probe_;
  mutable std::mutex mtx_;
  std::condition_variable_any wake_;
  std::deque<span_data> queue_;
  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> dropped_full_{0};
  std::atomic<uint64_t> dropped_failed_{0};
  std::atomic<uint64_t> failed_posts_{0};
  bool failing_ = false; // the export thread's only
  std::jthread thread_;
};

} // namespace ds::trace
