// The browser UI's endpoints on a daemon on the embedded broker: the static
// UI at / (or the page that says it is missing), /api/stats equal to the
// registry /metrics renders, and /api/dlq + /api/session under JWT tenants.
#include <catch2/catch.hpp>

#include <fstream>

#include <jwt/jwt.hpp>
#include <nlohmann/json.hpp>

#include "app/daemon.hpp"
#include "runtime/http/client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/send_workload.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;

namespace {

// `count` records over 4 threads of 2 tenants, with `gaps` sequence gaps.
uint64_t produce(const std::string& brokers, const std::string& topic,
                 uint64_t count, uint32_t gaps) {
  workload::workload_config w;
  w.count = count;
  w.threads = 4;
  w.tenants = 2;
  w.seed = 7;
  w.kinds = *workload::parse_mix("event:1");
  w.batch_threads = 1;
  w.gaps = gaps;
  return test::send_workload(w, brokers, topic);
}

http::client_response get(uint16_t port, const std::string& target) {
  auto r = http::request_once("127.0.0.1", port, "GET", target, 10s);
  REQUIRE(r);
  return *r;
}

nlohmann::json get_json(uint16_t port, const std::string& target) {
  auto r = get(port, target);
  REQUIRE(r.status == 200);
  return nlohmann::json::parse(r.body);
}

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream{p} << text;
}

std::string sign(const std::string& secret, const nlohmann::json& claims) {
  jwt::jwt_object obj{jwt::params::algorithm("HS256"),
                      jwt::params::secret(secret)};
  for (auto& [k, v] : claims.items()) {
    if (v.is_boolean()) {
      obj.add_claim(k, v.get<bool>());
    } else {
      obj.add_claim(k, v.get<std::string>());
    }
  }
  return obj.signature();
}

config::daemon_config base_config() {
  config::daemon_config c;
  c.kafka.brokers.clear(); // embedded
  c.http.port = 0;
  c.http.stats_interval_ms = 100;
  c.pipeline.scheduler_threads = 2;
  return c;
}

} // namespace

TEST_CASE("the daemon serves the built UI at / and /api/stats matches the "
          "registry /metrics renders",
          "[mock]") {
  test::temp_dir ui{"ui-api-dist"};
  write(ui.path / "index.html", "<div id=root></div>");
  write(ui.path / "assets" / "index-abc123.js", "console.log(1)");
  auto c = base_config();
  c.http.ui_dir = ui.str();
  c.validation.policy = config::sequence_policy::halt; // gaps -> DLQ
  c.http.stats_history_secs = 20;
  c.dlq.recent_bytes = 64 << 10;
  auto d = app::daemon::start(c, 2);
  REQUIRE(d);
  auto port = (*d)->http_port();
  CHECK(get(port, "/").body == "<div id=root></div>");
  CHECK(get(port, "/assets/index-abc123.js").body == "console.log(1)");
  CHECK(get(port, "/assets/missing.js").status == 404);
  // The exact routes still win over the UI's directory.
  CHECK(get(port, "/health").body.find("status") != std::string::npos);

  auto sent = produce((*d)->brokers(), c.kafka.topic, 400, 3);
  auto& reg = (*d)->registry();
  REQUIRE(eventually([&] {
    return metric(reg, "dashstream_records_total") >= static_cast<double>(sent);
  }));
  // The registry is quiet now; the next sample shows its final numbers.
  auto settled = [&] {
    auto stats = get_json(port, "/api/stats");
    const auto& s = stats["samples"].back();
    return s["records"].value("ok", -1.0) ==
             metric(reg, "dashstream_records_total", {{"outcome", "ok"}}) &&
           s["dlq"]["records"] == metric(reg, "dashstream_dlq_records_total");
  };
  REQUIRE(eventually(settled));
  auto stats = get_json(port, "/api/stats");
  CHECK(stats["interval_ms"] == 100);
  CHECK(stats["history_secs"] == 20); // http.stats_history_secs
  CHECK(stats["samples"].size() <= 200);
  CHECK(stats["health"].contains("status"));
  const auto& s = stats["samples"].back();
  for (const char* outcome : {"ok", "decode_error", "rejected"}) {
    CHECK(s["records"].value(outcome, 0.0) ==
          metric(reg, "dashstream_records_total", {{"outcome", outcome}}));
  }
  CHECK(s["sequence"]["gaps"] == metric(reg, "dashstream_sequence_gaps_total"));
  CHECK(s["sequence"]["gaps"].get<double>() >= 3);
  CHECK(s["dlq"]["records"].get<double>() > 0);
  CHECK(s["restarts"] == metric(reg, "dashstream_actor_restarts_total"));
  CHECK(s["lag"].size() == 2);
  CHECK(s["latency"]["count"].is_number());

  // since: only newer samples; a bad value is a 400, not a guess.
  auto newest = s["t"].get<int64_t>();
  auto later = get_json(port, "/api/stats?since=" + std::to_string(newest));
  for (const auto& x : later["samples"]) {
    CHECK(x["t"].get<int64_t>() > newest);
  }
  CHECK(get(port, "/api/stats?since=-1").status == 400);
  CHECK(get(port, "/api/stats?since=x").status == 400);

  // The DLQ view: the halted threads' records with their envelopes.
  auto dlq = get_json(port, "/api/dlq?limit=5");
  CHECK(dlq["capacity_bytes"] == 64 << 10); // dlq.recent_bytes
  REQUIRE(!dlq["records"].empty());
  CHECK(dlq["records"].size() <= 5);
  const auto& e = dlq["records"][0];
  CHECK(e["error_type"] == "halted_thread");
  CHECK(e["source_topic"] == c.kafka.topic);
  CHECK(e.contains("payload_sha256"));
  CHECK(e["tenant_id"].is_string());
  CHECK(get_json(port, "/api/session")["auth"] == "none");
  (*d)->stop();
}

TEST_CASE("a daemon without a built UI says so at / and serves the rest",
          "[mock]") {
  auto c = base_config();
  c.http.ui_dir = "/nonexistent/dashstream-ui";
  auto d = app::daemon::start(c, 1);
  REQUIRE(d);
  auto port = (*d)->http_port();
  auto root = get(port, "/");
  CHECK(root.status == 200);
  CHECK(root.body.find("without its browser UI") != std::string::npos);
  CHECK(root.body.find("/nonexistent/dashstream-ui") != std::string::npos);
  CHECK(get(port, "/api/stats").status == 200);
  CHECK(get(port, "/health").body.find("status") != std::string::npos);
  CHECK(get(port, "/anything-else").status == 404);
  (*d)->stop();
}

TEST_CASE("with JWT auth, /api/dlq shows a tenant only its own records and an "
          "admin all",
          "[mock]") {
  test::temp_dir keys{"ui-api-keys"};
  const std::string secret = "ui-api-test-secret-0123456789abcdef";
  write(keys.path / "secret", secret);
  auto c = base_config();
  c.auth.hs256_secret_file = keys.sub("secret");
  c.auth.admin_claim = "dashstream_admin";
  c.validation.policy = config::sequence_policy::halt;
  auto d = app::daemon::start(c, 2);
  REQUIRE(d);
  auto port = (*d)->http_port();
  auto sent = produce((*d)->brokers(), c.kafka.topic, 400, 20);
  auto& reg = (*d)->registry();
  REQUIRE(eventually([&] {
    return metric(reg, "dashstream_records_total") >= static_cast<double>(sent);
  }));
  auto a = sign(secret, {{"tenant_id", "tenant-0"}});
  auto admin = sign(secret, {{"dashstream_admin", true}});

  CHECK(get(port, "/api/dlq").status == 401);
  CHECK(get(port, "/api/session").status == 401);
  CHECK(get(port, "/api/dlq?token=garbage").status == 401);
  // Operational numbers are as public as /metrics.
  CHECK(get(port, "/api/stats").status == 200);

  auto session = get_json(port, "/api/session?token=" + a);
  CHECK(session["auth"] == "jwt");
  CHECK(session["tenant"] == "tenant-0");
  CHECK(session["admin"] == false);
  CHECK(get_json(port, "/api/session?token=" + admin)["admin"] == true);

  auto all = get_json(port, "/api/dlq?limit=1000&token=" + admin);
  std::set<std::string> tenants;
  for (const auto& e : all["records"]) {
    tenants.insert(e["tenant_id"].get<std::string>());
  }
  CHECK(tenants.size() == 2); // both tenants have halted threads
  auto mine = get_json(port, "/api/dlq?limit=1000&token=" + a);
  REQUIRE(!mine["records"].empty());
  CHECK(mine["records"].size() < all["records"].size());
  for (const auto& e : mine["records"]) {
    CHECK(e["tenant_id"] == "tenant-0");
  }
  (*d)->stop();
}
