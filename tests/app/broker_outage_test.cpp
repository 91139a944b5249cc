// A broker outage, on the embedded (mock) broker and on a real Apache Kafka
// broker this test owns (scripts/kafka-broker.sh stops and starts it): the
// circuit breaker opens, /health says reconnecting, consumption resumes by
// itself when the broker returns, nothing is restarted and everything
// produced is processed and committed.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/daemon.hpp"
#include "runtime/kafka/admin.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/metrics_reader.hpp"
#include "tests/support/send_workload.hpp"
#include "tests/support/temp_dir.hpp"

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

namespace {

// scripts/kafka-broker.sh <cmd> <dir>; its last output line.
std::string broker_script(const std::string& cmd, const std::string& dir) {
  auto line =
    std::string{"bash "} + DS_KAFKA_BROKER_SH + " " + cmd + " " + dir + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{::popen(line.c_str(), "r"),
                                             ::pclose};
  REQUIRE(pipe);
  std::string out;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe.get()) != nullptr) {
    out = buf.data();
  }
  REQUIRE(::pclose(pipe.release()) == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

} // namespace

TEST_CASE("the real broker stopped and started again: the breaker opens, "
          "consumption resumes by itself, everything is committed",
          "[kafka]") {
  test::temp_dir dir{"outage-broker"};
  auto brokers = broker_script("start", dir.str());
  INFO("private broker at " << brokers);
  struct stop_at_end {
    std::string dir;
    ~stop_at_end() {
      (void)std::system(("bash " + std::string{DS_KAFKA_BROKER_SH} + " stop " +
                         dir + " >/dev/null 2>&1")
                          .c_str());
    }
  } stopper{dir.str()};
  kafka::client_config client{brokers, {}};
  config::daemon_config c;
  c.kafka.brokers = brokers;
  c.kafka.topic = "outage-real";
  c.kafka.group_id = "outage-real-group";
  REQUIRE_FALSE(kafka::create_topic(client, c.kafka.topic, 3, 1, 30s));
  c.http.port = 0;
  c.pipeline.scheduler_threads = 2;
  c.breaker.failure_threshold = 2;
  c.breaker.open_secs = 2;
  c.health.infra_error_recent_secs = 5;
  test::temp_dir spool{"outage-real-spool"};
  c.dlq.spool_dir = spool.str();
  auto d = app::daemon::start(c);
  REQUIRE(d);
  auto& reg = (*d)->registry();
  auto processed = [&] { return metric(reg, "dashstream_records_total"); };
  auto first = produce(brokers, c.kafka.topic, 500, 1);
  REQUIRE(eventually([&] { return processed() >= first; }));
  CHECK(eventually(
    [&] { return (*d)->health()->status == actors::health_status::healthy; }));
  const auto port = (*d)->http_port();
  CHECK(test::http_get_status(port, "/ready").status == 200);

  // The broker process goes away (its listener closes: connection refused).
  broker_script("stop", dir.str());
  CHECK(eventually([&] {
    return (*d)->health()->status == actors::health_status::reconnecting;
  }));
  // Not ready, and it says why.
  auto not_ready = test::http_get_status(port, "/ready");
  CHECK(not_ready.status == 503);
  auto why = nlohmann::json::parse(not_ready.body, nullptr, false);
  CHECK(why.value("ready", true) == false);
  CHECK(why.value("status", "") == "reconnecting");
  CHECK_FALSE(why["reasons"].empty());
  CHECK(metric(reg, "dashstream_circuit_breaker_transitions_total",
               {{"to", "open"}}) >= 1);
  CHECK(metric(reg, "dashstream_infrastructure_errors_total") >= 2);
  // Started again on the same port, with its log and the group's offsets.
  CHECK(broker_script("start", dir.str()) == brokers);

  auto second = produce(brokers, c.kafka.topic, 500, 2);
  CHECK(eventually([&] { return processed() >= first + second; }, 120s));
  CHECK(eventually(
    [&] { return (*d)->health()->status == actors::health_status::healthy; },
    60s));
  CHECK(eventually(
    [&] {
      return ds::test::committed_to_end(client, c.kafka.group_id,
                                        c.kafka.topic);
    },
    60s));
  CHECK(metric(reg, "dashstream_circuit_breaker_state") == 0);
  CHECK(metric(reg, "dashstream_actor_restarts_total") == 0);
  CHECK(test::http_get_status(port, "/ready").status == 200);
  CHECK_FALSE((*d)->failed());
  (*d)->stop();
}
