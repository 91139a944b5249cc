// The operator's way out of a halt: POST /admin/threads/reset and
// `dashstream thread reset`, against a daemon on the embedded broker.
#include <catch2/catch.hpp>

#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/daemon.hpp"
#include "runtime/http/client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/process.hpp"
#include "tests/support/send_workload.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;

namespace {

// One thread ("halt-0"), `count` records; `gaps` injected sequence gaps.
uint64_t produce(const std::string& brokers, const std::string& topic,
                 uint64_t seed, uint32_t gaps) {
  workload::workload_config w;
  w.count = 50;
  w.threads = 1;
  w.seed = seed;
  w.thread_prefix = "halt-";
  w.kinds = *workload::parse_mix("event:1"); // one thread: no batches
  w.batch_threads = 1;
  w.gaps = gaps;
  return test::send_workload(w, brokers, topic);
}

http::client_response post(uint16_t port, const std::string& target,
                           const std::string& method = "POST") {
  auto r = http::request_once("127.0.0.1", port, method, target, 10s);
  REQUIRE(r);
  return *r;
}

} // namespace

TEST_CASE("a halted thread stays quarantined until an operator resets it",
          "[mock]") {
  config::daemon_config c;
  c.kafka.brokers.clear(); // embedded
  c.http.port = 0;
  c.pipeline.scheduler_threads = 2;
  c.validation.policy = config::sequence_policy::halt;
  auto d = app::daemon::start(c, 1);
  REQUIRE(d);
  auto& reg = (*d)->registry();
  auto port = (*d)->http_port();
  auto done = [&] { return metric(reg, "dashstream_records_total"); };
  auto rejected = [&] {
    return metric(reg, "dashstream_records_total", {{"outcome", "rejected"}});
  };

  // Round 1: a gap halts the thread; everything after it is rejected.
  auto first = produce((*d)->brokers(), c.kafka.topic, 1, 1);
  REQUIRE(eventually([&] { return done() >= static_cast<double>(first); }));
  CHECK(metric(reg, "dashstream_sequence_quarantined_total") >= 1);
  auto rejected_before = rejected();
  CHECK(rejected_before > 0);

  // Wrong method, missing id, unknown thread.
  CHECK(post(port, "/admin/threads/reset?thread_id=halt-0", "GET").status ==
        405);
  CHECK(post(port, "/admin/threads/reset").status == 400);
  auto unknown = post(port, "/admin/threads/reset?thread_id=nobody");
  CHECK(unknown.status == 200);
  CHECK(nlohmann::json::parse(unknown.body)["known"] == false);

  // Round 2 without a reset: still rejected.
  auto second = produce((*d)->brokers(), c.kafka.topic, 2, 0);
  REQUIRE(
    eventually([&] { return done() >= static_cast<double>(first + second); }));
  auto rejected_halted = rejected();
  CHECK(rejected_halted >= rejected_before + static_cast<double>(second));

  // The CLI resets it (through the same endpoint).
  test::child_process cli{{DS_DASHSTREAM_BIN, "thread", "reset", "halt-0",
                           "--port", std::to_string(port)},
                          "/tmp/ds-admin-test-cli.log"};
  REQUIRE(cli.started());
  CHECK(cli.wait_exit(30s) == 0);
  CHECK(cli.log().find("reset") != std::string::npos);

  // Round 3: the first message is a new baseline, nothing is rejected.
  auto third = produce((*d)->brokers(), c.kafka.topic, 3, 0);
  REQUIRE(eventually(
    [&] { return done() >= static_cast<double>(first + second + third); }));
  CHECK(rejected() == rejected_halted);
}

TEST_CASE("thread reset against no daemon fails with a clear error") {
  test::child_process cli{{DS_DASHSTREAM_BIN, "thread", "reset", "x", "--port",
                           "1", "--timeout", "2"},
                          "/tmp/ds-admin-test-cli-nodaemon.log"};
  REQUIRE(cli.started());
  CHECK(cli.wait_exit(30s) == 1);
  CHECK(cli.log().find("error: ") != std::string::npos);
}
