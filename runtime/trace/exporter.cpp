#include "runtime/trace/exporter.hpp"

#include <charconv>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "diag/log.hpp"
#include "runtime/http/client.hpp"
#include "runtime/trace/errc.hpp"

namespace ds::trace {

caf::expected<http_endpoint> parse_endpoint(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) {
    return make_error(errc::bad_endpoint,
                      "only http://host:port[/path] is supported: " +
                        std::string{url});
  }
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto prefix =
    slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.remove_suffix(1);
  }
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(errc::bad_endpoint,
                      "endpoint needs host:port: " + std::string{url});
  }
  http_endpoint out;
  out.host = std::string{authority.substr(0, colon)};
  auto digits = authority.substr(colon + 1);
  const char* last = digits.data() + digits.size();
  auto [end, ec] = std::from_chars(digits.data(), last, out.port);
  if (ec != std::errc{} || end != last || out.port == 0) {
    return make_error(errc::bad_endpoint,
                      "bad port in endpoint: " + std::string{url});
  }
  out.traces_path = std::string{prefix} + "/v1/traces";
  return out;
}

namespace {

prometheus::Family<prometheus::Counter>& counters(prometheus::Registry& r,
                                                  const std::string& name,
                                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>&
dropped_family(prometheus::Registry& r) {
  return counters(
    r, "dashstream_trace_spans_dropped_total",
    "Spans dropped instead of exported, by reason: queue_full (the export "
    "queue held tracing.queue_max_spans) or export_failed (the collector "
    "refused them, was down, or was slower than tracing.export_timeout_ms).");
}

} // namespace

exporter_probe::exporter_probe(prometheus::Registry& r)
  : dropped_(dropped_family(r)),
    exported(counters(r, "dashstream_trace_spans_exported_total",
                      "Spans the OTLP collector accepted.")
               .Add({})),
    dropped_queue_full(dropped_.Add({{"reason", "queue_full"}})),
    dropped_export_failed(dropped_.Add({{"reason", "export_failed"}})),
    failed_posts(counters(r, "dashstream_trace_export_failures_total",
                          "OTLP/HTTP export requests that failed (an error "
                          "status, a refused connection or a timeout).")
                   .Add({})),
    queued(prometheus::BuildGauge()
             .Name("dashstream_trace_queue_spans")
             .Help("Spans waiting in the export queue.")
             .Register(r)
             .Add({})) {}

otlp_exporter::otlp_exporter(exporter_config cfg, resource_info resource,
                             std::shared_ptr<exporter_probe> probe)
  : cfg_(std::move(cfg)), resource_(std::move(resource)),
    probe_(std::move(probe)) {
  thread_ = std::jthread{[this](const std::stop_token& stop) { run(stop); }};
}

otlp_exporter::~otlp_exporter() {
  thread_.request_stop();
  wake_.notify_all();
}

bool otlp_exporter::try_submit(span_data s) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (queue_.size() >= cfg_.queue_max_spans) {
      dropped_full_.fetch_add(1, std::memory_order_relaxed);
      if (probe_) {
        probe_->dropped_queue_full.Increment();
      }
      return false;
    }
    queue_.push_back(std::move(s));
    if (probe_) {
      probe_->queued.Increment();
    }
    if (queue_.size() < cfg_.batch_max_spans) {
      return true;
    }
  }
  wake_.notify_one(); // a full batch leaves now
  return true;
}

exporter_stats otlp_exporter::stats() const {
  exporter_stats s;
  s.exported = exported_.load(std::memory_order_relaxed);
  s.dropped_queue_full = dropped_full_.load(std::memory_order_relaxed);
  s.dropped_export_failed = dropped_failed_.load(std::memory_order_relaxed);
  s.failed_posts = failed_posts_.load(std::memory_order_relaxed);
  return s;
}

void otlp_exporter::run(const std::stop_token& stop) {
  std::deque<span_data> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock{mtx_};
      wake_.wait_for(lock, stop, cfg_.batch_interval,
                     [this] { return queue_.size() >= cfg_.batch_max_spans; });
      auto n = std::min(queue_.size(), cfg_.batch_max_spans);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (probe_) {
        probe_->queued.Decrement(static_cast<double>(n));
      }
    }
    if (!batch.empty()) {
      post(batch);
    }
    if (stop.stop_requested()) {
      // The last attempt went above (bounded by cfg_.timeout); what is
      // still queued is dropped and counted.
      std::lock_guard<std::mutex> guard{mtx_};
      dropped_failed_.fetch_add(queue_.size(), std::memory_order_relaxed);
      if (probe_) {
        probe_->dropped_export_failed.Increment(
          static_cast<double>(queue_.size()));
        probe_->queued.Decrement(static_cast<double>(queue_.size()));
      }
      queue_.clear();
      return;
    }
  }
}

void otlp_exporter::post(std::deque<span_data>& batch) {
  std::vector<span_data> spans{std::make_move_iterator(batch.begin()),
                               std::make_move_iterator(batch.end())};
  batch.clear();
  http::request_body body{"application/json",
                          encode_otlp_json(resource_, spans)};
  auto res = http::request_once(cfg_.endpoint.host, cfg_.endpoint.port, "POST",
                                cfg_.endpoint.traces_path, cfg_.timeout, &body);
  if (res && res->status >= 200 && res->status < 300) {
    exported_.fetch_add(spans.size(), std::memory_order_relaxed);
    if (probe_) {
      probe_->exported.Increment(static_cast<double>(spans.size()));
    }
    if (failing_) {
      failing_ = false;
      diag::log_event(spdlog::level::info, "trace",
                      {{"event", "export_resumed"}});
    }
    return;
  }
  dropped_failed_.fetch_add(spans.size(), std::memory_order_relaxed);
  failed_posts_.fetch_add(1, std::memory_order_relaxed);
  if (probe_) {
    probe_->dropped_export_failed.Increment(static_cast<double>(spans.size()));
    probe_->failed_posts.Increment();
  }
  // Logged when a failing stretch starts, not per batch: a collector that
  // is down for minutes must not flood the log.
  if (!failing_) {
    failing_ = true;
    diag::log_event(spdlog::level::warn, "trace",
                    {{"event", "export_failed"},
                     {"spans", spans.size()},
                     {"error", res ? "HTTP " + std::to_string(res->status)
                                   : diag::describe(res.error())}});
  }
}

} // namespace ds::trace
