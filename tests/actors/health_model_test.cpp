#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "actors/health_model.hpp"

using namespace ds::actors;
using namespace std::chrono_literals;
using tp = health_model::time_point;

namespace {

const tp t0 = tp{} + 1h;
constexpr auto closed = breaker_state::closed;

health_model connected_model(health_config cfg = {}) {
  health_model m{cfg};
  m.set_kafka_state(kafka_state::connected);
  return m;
}

} // namespace

TEST_CASE("before partitions are assigned the status is waiting") {
  health_model m;
  auto r = m.evaluate(t0, closed);
  CHECK(r.status == health_status::waiting);
  CHECK(r.reasons == std::vector<std::string>{"no partitions assigned yet"});
  CHECK(r.http_status() == 503);
}

TEST_CASE("an idle, connected consumer is healthy") {
  auto m = connected_model();
  for (auto t : {t0, t0 + 1h, t0 + 24h}) {
    auto r = m.evaluate(t, closed);
    CHECK(r.status == health_status::healthy);
    CHECK(r.reasons.empty());
    CHECK(r.window_messages == 0);
    CHECK(r.decode_error_ratio == 0);
  }
}

TEST_CASE("the decode-error ratio counts only with min_samples messages") {
  auto m = connected_model();
  SECTION("99 messages, half of them bad: too few to judge") {
    m.record_messages(t0, 50, 49);
    auto r = m.evaluate(t0, closed);
    CHECK(r.window_messages == 99);
    CHECK(r.decode_error_ratio == Approx(49.0 / 99));
    CHECK(r.status == health_status::healthy);
  }
  SECTION("100 messages, half of them bad: degraded") {
    m.record_messages(t0, 50, 50);
    auto r = m.evaluate(t0, closed);
    CHECK(r.status == health_status::degraded);
    REQUIRE(r.reasons.size() == 1);
    CHECK_THAT(r.reasons[0], Catch::Contains("decode error ratio 50.0%"));
    CHECK(r.http_status() == 200);
  }
}

TEST_CASE("the ratio threshold is inclusive") {
  auto m = connected_model();
  SECTION("exactly 5% is degraded") {
    m.record_messages(t0, 95, 5);
    CHECK(m.evaluate(t0, closed).status == health_status::degraded);
  }
  SECTION("4% is healthy") {
    m.record_messages(t0, 96, 4);
    CHECK(m.evaluate(t0, closed).status == health_status::healthy);
  }
}

TEST_CASE("the window is the last 120 seconds, summed across buckets") {
  auto m = connected_model();
  // 60 messages with 30 errors, then 40 good ones 119 s later: 100 in the
  // window, 30 % bad.
  m.record_messages(t0, 30, 30);
  m.record_messages(t0 + 119s, 40, 0);
  auto r = m.evaluate(t0 + 119s, closed);
  CHECK(r.window_messages == 100);
  CHECK(r.window_decode_errors == 30);
  CHECK(r.status == health_status::degraded);
  // One second on, the first batch has left the window.
  r = m.evaluate(t0 + 120s, closed);
  CHECK(r.window_messages == 40);
  CHECK(r.status == health_status::healthy);
}

TEST_CASE("a bad period ends: status returns to healthy (contract §8.10)") {
  // The old system judged from lifetime counters: once unhealthy, forever
  // unhealthy. Here a burst of bad records is forgotten once it has left
  // the window, while good traffic keeps flowing.
  auto m = connected_model();
  m.record_messages(t0, 100, 900);
  for (int s = 1; s <= 119; ++s) {
    m.record_messages(t0 + s * 1s, 10, 0);
  }
  auto during = m.evaluate(t0 + 119s, closed);
  CHECK(during.status == health_status::degraded);
  m.record_messages(t0 + 120s, 10, 0);
  auto after = m.evaluate(t0 + 120s, closed);
  CHECK(after.status == health_status::healthy);
  CHECK(after.reasons.empty());
  CHECK(after.window_decode_errors == 0);
  CHECK(after.window_messages == 1200); // seconds 1..120, 10 each
  CHECK(after.messages_per_second == Approx(10));
  // The lifetime totals still remember the burst; they just do not count.
  CHECK(after.decode_errors_total == 900);
  CHECK(after.messages_total == 2200);
  for (int s = 121; s <= 600; ++s) {
    m.record_messages(t0 + s * 1s, 10, 0);
  }
  CHECK(m.evaluate(t0 + 600s, closed).status == health_status::healthy);
}

TEST_CASE("an infrastructure error degrades for infra_error_recent_secs") {
  auto m = connected_model();
  m.record_infra_error(t0);
  auto r = m.evaluate(t0 + 60s - 1ms, closed);
  CHECK(r.status == health_status::degraded);
  REQUIRE(r.seconds_since_last_infra_error.has_value());
  CHECK(*r.seconds_since_last_infra_error == Approx(59.999));
  CHECK_THAT(r.reasons.at(0), Catch::Contains("infrastructure error"));
  r = m.evaluate(t0 + 60s, closed);
  CHECK(r.status == health_status::healthy);
  CHECK(*r.seconds_since_last_infra_error == Approx(60));
  CHECK(r.window_infra_errors == 1); // still in the 120 s window, reported
  SECTION("a later error restarts the clock") {
    m.record_infra_error(t0 + 100s);
    CHECK(m.evaluate(t0 + 159s, closed).status == health_status::degraded);
    CHECK(m.evaluate(t0 + 160s, closed).status == health_status::healthy);
  }
}

TEST_CASE("without any infrastructure error there is no 'seconds since'") {
  auto m = connected_model();
  auto r = m.evaluate(t0, closed);
  CHECK_FALSE(r.seconds_since_last_infra_error.has_value());
  CHECK(r.to_json()["metrics"]["seconds_since_last_infra_error"].is_null());
}

TEST_CASE("an open or half-open breaker means reconnecting") {
  auto m = connected_model();
  for (auto b : {breaker_state::open, breaker_state::half_open}) {
    auto r = m.evaluate(t0, b);
    CHECK(r.status == health_status::reconnecting);
    CHECK(r.reasons.at(0) == "circuit breaker " + std::string{to_string(b)});
    CHECK(r.http_status() == 503);
  }
  m.set_kafka_state(kafka_state::reconnecting);
  CHECK(m.evaluate(t0, closed).status == health_status::reconnecting);
}

TEST_CASE("the most severe condition sets the status, all are reported") {
  health_model m; // waiting for assignment
  m.record_messages(t0, 0, 100);
  m.record_infra_error(t0);
  std::vector<std::string> extra{"dlq spool full"};
  auto r = m.evaluate(t0, breaker_state::open, extra);
  CHECK(r.status == health_status::reconnecting);
  CHECK(r.reasons.size() == 5);
  CHECK(r.reasons.back() == "dlq spool full");
  r = m.evaluate(t0, closed, extra);
  CHECK(r.status == health_status::waiting);
  m.set_kafka_state(kafka_state::connected);
  CHECK(m.evaluate(t0, closed, extra).status == health_status::degraded);
}

TEST_CASE("a reason added by the caller degrades while it is passed") {
  auto m = connected_model();
  std::vector<std::string> extra{"dlq spool full"};
  auto r = m.evaluate(t0, closed, extra);
  CHECK(r.status == health_status::degraded);
  CHECK(r.reasons == extra);
  CHECK(m.evaluate(t0, closed).status == health_status::healthy);
}

TEST_CASE("samples older than the ring are dropped, not misfiled") {
  auto m = connected_model();
  m.record_messages(t0 + 120s, 100, 0); // same ring slot as t0
  m.record_messages(t0, 0, 100);        // too old: its slot holds t0+120s
  auto r = m.evaluate(t0 + 120s, closed);
  CHECK(r.window_messages == 100);
  CHECK(r.window_decode_errors == 0);
  CHECK(r.status == health_status::healthy);
  CHECK(r.decode_errors_total == 100); // lifetime still counts it
}

TEST_CASE("to_json has the contract's shape, counts are strings") {
  auto m = connected_model();
  m.record_messages(t0, (uint64_t{1} << 53) + 1, 0); // not exact as double
  auto j = m.evaluate(t0, closed).to_json();
  CHECK(j["status"] == "healthy");
  CHECK(j["kafka_status"] == "connected");
  CHECK(j["websocket_status"] == "disabled");
  CHECK(j["circuit_breaker"]["state"] == "closed");
  CHECK_FALSE(j.contains("alert"));
  CHECK(j["metrics"]["messages_total"] == "9007199254740993");
  CHECK(j["metrics"]["window_messages"] == "9007199254740993");
  CHECK(j["metrics"]["window_secs"] == 120);
  CHECK(j["metrics"]["decode_error_ratio"] == 0.0);

  m.record_infra_error(t0);
  j = m.evaluate(t0 + 1s, breaker_state::half_open).to_json();
  CHECK(j["status"] == "reconnecting");
  CHECK(j["circuit_breaker"]["state"] == "half_open");
  CHECK(j["alert"] == "circuit breaker half_open; infrastructure error 1.0 s "
                      "ago (within 60 s)");
  CHECK(j["reasons"].size() == 2);
}

TEST_CASE("names of statuses and kafka states") {
  CHECK(to_string(health_status::healthy) == "healthy");
  CHECK(to_string(health_status::degraded) == "degraded");
  CHECK(to_string(health_status::reconnecting) == "reconnecting");
  CHECK(to_string(health_status::waiting) == "waiting");
  CHECK(to_string(kafka_state::waiting_for_assignment) ==
        "waiting_for_assignment");
}
