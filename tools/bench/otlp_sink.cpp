#include "tools/bench/otlp_sink.hpp"

namespace ds::bench {

caf::expected<std::unique_ptr<otlp_sink>> otlp_sink::start() {
  std::unique_ptr<otlp_sink> s{new otlp_sink};
  http::router r;
  if (auto err =
        r.post("/v1/traces", [requests = s->requests_,
                              bytes = s->bytes_](const http::request& req) {
          requests->fetch_add(1);
          bytes->fetch_add(req.body.size());
          return http::response::json(200, "{}");
        })) {
    return err;
  }
  http::server_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.max_request_bytes = 64 << 20;
  auto srv = http::server::start(cfg, std::move(r), s->registry_);
  if (!srv) {
    return srv.error();
  }
  s->server_ = std::move(*srv);
  return s;
}

std::string otlp_sink::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

} // namespace ds::bench
