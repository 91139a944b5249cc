// A broker outage on the embedded (mock) broker, the one fault the real
// broker cannot give on demand: the circuit breaker opens, /health says
// reconnecting, consumption resumes by itself when the broker returns, and
// nothing is restarted.
#include <catch2/catch.hpp>

#include <functional>
#include <thread>

#include "app/daemon.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/send_workload.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;

namespace {

uint64_t produce(const std::string& brokers, const std::string& topic,
                 uint64_t count, uint64_t seed) {
  workload::workload_config w;
  w.count = count;
  w.threads = 20;
  w.seed = seed;
  w.thread_prefix = "outage-" + std::to_string(seed) + "-";
  return test::send_workload(w, brokers, topic);
}

} // namespace

TEST_CASE("a broker outage opens the breaker, consumption resumes by itself",
          "[mock]") {
  config::daemon_config c;
  c.kafka.brokers.clear(); // embedded
  c.http.port = 0;
  c.pipeline.scheduler_threads = 2;
  c.breaker.failure_threshold = 2;
  c.breaker.open_secs = 2;
  // A recent infrastructure error rightly reads "degraded" for this long.
  c.health.infra_error_recent_secs = 5;
  auto d = app::daemon::start(c, 3);
  REQUIRE(d);
  auto& reg = (*d)->registry();
  auto processed = [&] { return metric(reg, "dashstream_records_total"); };
  auto first = produce((*d)->brokers(), c.kafka.topic, 500, 1);
  REQUIRE(eventually([&] { return processed() >= first; }));
  // The report is a snapshot refreshed every second.
  CHECK(eventually(
    [&] { return (*d)->health()->status == actors::health_status::healthy; }));

  // 30 s without a broker.
  REQUIRE_FALSE((*d)->embedded()->set_broker_down(1));
  CHECK(eventually([&] {
    return (*d)->health()->status == actors::health_status::reconnecting;
  }));
  CHECK(metric(reg, "dashstream_circuit_breaker_transitions_total",
               {{"to", "open"}}) >= 1);
  CHECK(metric(reg, "dashstream_infrastructure_errors_total") >= 2);
  std::this_thread::sleep_for(30s); // the outage itself, not an assertion
  REQUIRE_FALSE((*d)->embedded()->set_broker_up(1));

  // Back: new records flow without any restart, and the breaker closes.
  auto second = produce((*d)->brokers(), c.kafka.topic, 500, 2);
  CHECK(eventually([&] { return processed() >= first + second; }));
  CHECK(eventually(
    [&] { return (*d)->health()->status == actors::health_status::healthy; }));
  CHECK(metric(reg, "dashstream_circuit_breaker_state") == 0);
  CHECK(metric(reg, "dashstream_actor_restarts_total") == 0);
  CHECK_FALSE((*d)->failed());
  (*d)->stop();
}
