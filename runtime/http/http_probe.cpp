#include "runtime/http/http_probe.hpp"

#include <array>

namespace ds::http {

namespace {

// Codes this server produces itself, plus what operator handlers return.
constexpr std::array<unsigned, 11> usual_codes{200, 301, 304, 400, 404, 405,
                                               413, 429, 500, 503, 204};

prometheus::Family<prometheus::Counter>& rejected(prometheus::Registry& reg) {
  return prometheus::BuildCounter()
    .Name("dashstream_http_rejected_connections_total")
    .Help("HTTP connections refused or dropped, by reason")
    .Register(reg);
}

} // namespace

http_probe::http_probe(prometheus::Registry& reg,
                       const std::vector<std::string>& path_labels)
  : connections(prometheus::BuildGauge()
                  .Name("dashstream_http_connections")
                  .Help("Open HTTP connections")
                  .Register(reg)
                  .Add({})),
    ws_connections(prometheus::BuildGauge()
                     .Name("dashstream_websocket_connections")
                     .Help("Open WebSocket connections (upgraded)")
                     .Register(reg)
                     .Add({})),
    ws_queued_bytes(prometheus::BuildGauge()
                      .Name("dashstream_websocket_queued_bytes")
                      .Help("Bytes queued for all WebSocket clients")
                      .Register(reg)
                      .Add({})),
    ws_budget_refusals(
      prometheus::BuildCounter()
        .Name("dashstream_websocket_budget_refusals_total")
        .Help("WebSocket sends refused: all clients' queues at their bound "
              "and this client above its share")
        .Register(reg)
        .Add({})),
    rejected_per_ip_limit(rejected(reg).Add({{"reason", "per_ip_limit"}})),
    rejected_request_too_large(
      rejected(reg).Add({{"reason", "request_too_large"}})),
    rejected_bad_request(rejected(reg).Add({{"reason", "bad_request"}})),
    rejected_read_timeout(rejected(reg).Add({{"reason", "read_timeout"}})),
    rejected_write_timeout(rejected(reg).Add({{"reason", "write_timeout"}})),
    requests_(prometheus::BuildCounter()
                .Name("dashstream_http_requests_total")
                .Help("HTTP requests answered, by route and status code")
                .Register(reg)) {
  auto resolve = [this](const std::string& label) {
    auto& codes = resolved_[label];
    for (auto code : usual_codes) {
      codes[code] =
        &requests_.Add({{"path", label}, {"code", std::to_string(code)}});
    }
  };
  for (const auto& label : path_labels) {
    resolve(label);
  }
  resolve("other");
}

void http_probe::count_request(std::string_view path_label, unsigned status) {
  auto path = resolved_.find(path_label);
  if (path == resolved_.end()) {
    path = resolved_.find(std::string_view{"other"});
  }
  auto code = path->second.find(status);
  if (code != path->second.end()) {
    code->second->Increment();
    return;
  }
  // An unusual code: Family::Add is thread-safe and returns the existing
  // series on later calls.
  requests_.Add({{"path", path->first}, {"code", std::to_string(status)}})
    .Increment();
}

} // namespace ds::http
