// The OTLP/HTTP exporter against a real HTTP server on loopback (our own,
// with a POST /v1/traces route that keeps what it receives): batches
// arrive as OTLP/JSON, a full queue drops and counts instead of blocking,
// and export resumes by itself once a collector that was down comes up.
#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/http/server.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/trace/errc.hpp"
#include "runtime/trace/exporter.hpp"
#include "tests/support/eventually.hpp"

using namespace ds;
using namespace ds::trace;
using namespace std::chrono_literals;
using ds::test::eventually;

namespace {

// A collector: counts the spans of every OTLP/JSON body it is posted.
struct collector {
  std::mutex mtx;
  std::vector<std::string> names;
  metrics::registry registry;
  std::unique_ptr<http::server> srv;

  explicit collector(uint16_t port = 0) {
    http::router r;
    REQUIRE_FALSE(r.post("/otel/v1/traces", [this](const http::request& req) {
      auto body = nlohmann::json::parse(req.body);
      std::lock_guard<std::mutex> guard{mtx};
      for (const auto& s : body["resourceSpans"][0]["scopeSpans"][0]["spans"]) {
        names.push_back(s["name"].get<std::string>());
      }
      return http::response::json(200, "{}");
    }));
    http::server_config cfg;
    cfg.port = port;
    cfg.max_request_bytes = 4 << 20;
    auto s = http::server::start(cfg, std::move(r), registry);
    REQUIRE(s);
    srv = std::move(*s);
  }
  std::size_t received() {
    std::lock_guard<std::mutex> guard{mtx};
    return names.size();
  }
};

span_data span_named(std::string name) {
  span_data s;
  auto ctx = parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(ctx);
  s.context = *ctx;
  s.name = std::move(name);
  return s;
}

exporter_config config_for(uint16_t port) {
  exporter_config c;
  c.endpoint.host = "127.0.0.1";
  c.endpoint.port = port;
  c.endpoint.traces_path = "/otel/v1/traces";
  c.batch_interval = 50ms;
  c.timeout = 2s;
  return c;
}

} // namespace

TEST_CASE("OTLP endpoints: http://host:port[/prefix] plus /v1/traces") {
  auto e = parse_endpoint("http://127.0.0.1:4318");
  REQUIRE(e);
  CHECK(e->host == "127.0.0.1");
  CHECK(e->port == 4318);
  CHECK(e->traces_path == "/v1/traces");
  auto p = parse_endpoint("http://collector.local:55681/otel/");
  REQUIRE(p);
  CHECK(p->host == "collector.local");
  CHECK(p->traces_path == "/otel/v1/traces");
  for (const char* bad :
       {"https://127.0.0.1:4318", "127.0.0.1:4318", "http://127.0.0.1",
        "http://127.0.0.1:0", "http://127.0.0.1:99999", "http://:4318",
        "http://127.0.0.1:43x8"}) {
    INFO(bad);
    auto r = parse_endpoint(bad);
    REQUIRE_FALSE(r);
    CHECK(to_errc(r.error()) == errc::bad_endpoint);
  }
}

TEST_CASE("spans reach the collector in batches, every one counted") {
  collector col;
  auto cfg = config_for(col.srv->port());
  cfg.batch_max_spans = 7;
  otlp_exporter ex{cfg, {}};
  for (int i = 0; i < 50; ++i) {
    CHECK(ex.try_submit(span_named("s" + std::to_string(i))));
  }
  REQUIRE(eventually([&] { return col.received() == 50; }));
  CHECK(ex.stats().exported == 50);
  CHECK(ex.stats().dropped_queue_full == 0);
  CHECK(ex.stats().failed_posts == 0);
  std::lock_guard<std::mutex> guard{col.mtx};
  CHECK(col.names.front() == "s0");
  CHECK(col.names.back() == "s49");
}

TEST_CASE("a collector that is down costs counted spans, and export resumes "
          "by itself when it comes up") {
  // A free port, closed again: nothing listens there yet.
  uint16_t port = 0;
  {
    collector probe;
    port = probe.srv->port();
  }
  auto cfg = config_for(port);
  cfg.queue_max_spans = 10;
  cfg.batch_max_spans = 10;
  otlp_exporter ex{cfg, {}};
  // A full queue refuses at once (and counts) rather than waiting.
  uint64_t accepted = 0;
  for (int i = 0; i < 100; ++i) {
    accepted += ex.try_submit(span_named("down")) ? 1 : 0;
  }
  CHECK(accepted >= 10);
  CHECK(accepted + ex.stats().dropped_queue_full == 100);
  REQUIRE(eventually([&] { return ex.stats().failed_posts > 0; }));
  REQUIRE(eventually([&] {
    auto s = ex.stats();
    return s.dropped_export_failed + s.dropped_queue_full == 100;
  }));
  CHECK(ex.stats().exported == 0);

  collector col{port};
  REQUIRE(eventually([&] {
    ex.try_submit(span_named("up"));
    return col.received() > 0;
  }));
  CHECK(ex.stats().exported > 0);
  std::lock_guard<std::mutex> guard{col.mtx};
  for (const auto& n : col.names) {
    CHECK(n == "up"); // what was dropped while down stays dropped
  }
}
