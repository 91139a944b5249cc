#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ds::http {

/// The HTTP server's metrics, resolved once per server. The `path` label
/// comes only from the route table (router::metric_label), so its values
/// are bounded; requests_total series for the usual status codes are
/// resolved up front and the rest (rare) on first use. Thread-safe.
class http_probe {
public:
  http_probe(prometheus::Registry& registry,
             const std::vector<std::string>& path_labels);

  /// One answered request. `path_label` must be one of the labels given to
  /// the constructor (anything else is counted as "other").
  void count_request(std::string_view path_label, unsigned status);

  /// Open connections, including ones about to be refused.
  prometheus::Gauge& connections;
  /// Open upgraded WebSocket connections.
  prometheus::Gauge& ws_connections;
  /// Bytes queued for all WebSocket clients, and sends refused because
  /// that total passed its bound while the client held more than its share.
  prometheus::Gauge& ws_queued_bytes;
  prometheus::Counter& ws_budget_refusals;

  // dashstream_http_rejected_connections_total{reason}
  prometheus::Counter& rejected_per_ip_limit;      // answered 429
  prometheus::Counter& rejected_request_too_large; // answered 413
  prometheus::Counter& rejected_bad_request;       // unparsable, answered 400
  prometheus::Counter& rejected_read_timeout;      // dropped mid-request
  prometheus::Counter& rejected_write_timeout;     // dropped mid-response

private:
  prometheus::Family<prometheus::Counter>& requests_;
  // path label -> status -> series; built in the constructor, then only read.
  std::map<std::string, std::map<unsigned, prometheus::Counter*>, std::less<>>
    resolved_;
};

} // namespace ds::http
