#include <catch2/catch.hpp>

#include <prometheus/registry.h>

#include "actors/circuit_breaker.hpp"
#include "actors/circuit_breaker_probe.hpp"

using namespace ds::actors;
using namespace std::chrono_literals;
using tp = circuit_breaker::time_point;

namespace {

const tp t0 = tp{} + 1h;

circuit_breaker opened_at(tp when, circuit_breaker_config cfg = {}) {
  circuit_breaker b{cfg};
  for (uint32_t i = 0; i < cfg.failure_threshold; ++i) {
    b.record_failure(when);
  }
  REQUIRE(b.state(when) == breaker_state::open);
  return b;
}

} // namespace

TEST_CASE("threshold consecutive infrastructure failures open the breaker") {
  circuit_breaker b;
  for (int i = 0; i < 4; ++i) {
    b.record_failure(t0 + i * 1s);
    CHECK(b.state(t0 + i * 1s) == breaker_state::closed);
  }
  CHECK(b.consecutive_failures() == 4);
  b.record_failure(t0 + 4s);
  CHECK(b.state(t0 + 4s) == breaker_state::open);
  CHECK(b.transitions() == 1);
}

TEST_CASE("a success in between resets the failure count") {
  circuit_breaker b;
  for (int i = 0; i < 4; ++i) {
    b.record_failure(t0);
  }
  b.record_success(t0 + 1s);
  CHECK(b.consecutive_failures() == 0);
  for (int i = 0; i < 4; ++i) {
    b.record_failure(t0 + 2s);
  }
  CHECK(b.state(t0 + 2s) == breaker_state::closed);
  b.record_failure(t0 + 2s);
  CHECK(b.state(t0 + 2s) == breaker_state::open);
}

TEST_CASE("an idle topic never opens the breaker (contract §8.12)") {
  circuit_breaker b;
  SECTION("no calls at all, for a day") {
    CHECK(b.state(t0) == breaker_state::closed);
    CHECK(b.state(t0 + 24h) == breaker_state::closed);
  }
  SECTION("empty polls that reached the broker are successes") {
    for (int minute = 0; minute < 24 * 60; ++minute) {
      b.record_success(t0 + minute * 1min);
    }
    CHECK(b.state(t0 + 24h) == breaker_state::closed);
  }
  CHECK(b.transitions() == 0);
}

TEST_CASE("open turns half_open exactly when the open duration has passed") {
  auto b = opened_at(t0);
  CHECK(b.state(t0 + 10s - 1ns) == breaker_state::open);
  CHECK(b.state(t0 + 10s) == breaker_state::half_open);
  CHECK(b.transitions() == 2);
}

TEST_CASE("the open duration is a hold-down: results do not change it") {
  auto b = opened_at(t0);
  SECTION("a success while open does not close it early") {
    b.record_success(t0 + 5s);
    CHECK(b.state(t0 + 5s) == breaker_state::open);
  }
  SECTION("a failure while open does not extend it") {
    b.record_failure(t0 + 9s);
    CHECK(b.state(t0 + 10s) == breaker_state::half_open);
  }
}

TEST_CASE("half_open closes after the configured probe successes") {
  SECTION("default: one success") {
    auto b = opened_at(t0);
    b.record_success(t0 + 10s); // the call itself moves open -> half_open
    CHECK(b.state(t0 + 10s) == breaker_state::closed);
    CHECK(b.transitions() == 3);
  }
  SECTION("three probes") {
    circuit_breaker_config cfg;
    cfg.half_open_probes = 3;
    auto b = opened_at(t0, cfg);
    CHECK(b.state(t0 + 10s) == breaker_state::half_open);
    b.record_success(t0 + 11s);
    b.record_success(t0 + 12s);
    CHECK(b.state(t0 + 12s) == breaker_state::half_open);
    b.record_success(t0 + 13s);
    CHECK(b.state(t0 + 13s) == breaker_state::closed);
  }
}

TEST_CASE("a failure in half_open reopens it for a full open duration") {
  auto b = opened_at(t0);
  CHECK(b.state(t0 + 10s) == breaker_state::half_open);
  b.record_failure(t0 + 12s);
  CHECK(b.state(t0 + 12s) == breaker_state::open);
  CHECK(b.state(t0 + 22s - 1ns) == breaker_state::open);
  CHECK(b.state(t0 + 22s) == breaker_state::half_open);
}

TEST_CASE("after closing, the threshold counts from zero again") {
  circuit_breaker_config cfg;
  cfg.half_open_probes = 2;
  auto b = opened_at(t0, cfg);
  b.record_success(t0 + 10s);
  b.record_failure(t0 + 10s); // half_open: one failure reopens
  CHECK(b.state(t0 + 10s) == breaker_state::open);
  b.record_success(t0 + 20s);
  b.record_success(t0 + 21s);
  REQUIRE(b.state(t0 + 21s) == breaker_state::closed);
  for (int i = 0; i < 4; ++i) {
    b.record_failure(t0 + 22s);
  }
  CHECK(b.state(t0 + 22s) == breaker_state::closed);
}

TEST_CASE("a threshold or probe count of 0 behaves as 1") {
  circuit_breaker b{{0, 10s, 0}};
  b.record_failure(t0);
  CHECK(b.state(t0) == breaker_state::open);
  b.record_success(t0 + 10s);
  CHECK(b.state(t0 + 10s) == breaker_state::closed);
}

TEST_CASE("the probe follows the state and counts transitions by target") {
  prometheus::Registry reg;
  circuit_breaker_probe probe{reg};
  circuit_breaker b{{}, &probe};
  CHECK(probe.state.Value() == 0);
  for (int i = 0; i < 5; ++i) {
    b.record_failure(t0);
  }
  CHECK(probe.state.Value() == 2);
  CHECK(b.state(t0 + 10s) == breaker_state::half_open);
  CHECK(probe.state.Value() == 1);
  b.record_failure(t0 + 10s);
  CHECK(probe.state.Value() == 2);
  b.record_success(t0 + 20s);
  CHECK(probe.state.Value() == 0);
  CHECK(probe.to_open.Value() == 2);
  CHECK(probe.to_half_open.Value() == 2);
  CHECK(probe.to_closed.Value() == 1);
  CHECK(b.transitions() == 5);
}

TEST_CASE("breaker states have stable names") {
  CHECK(to_string(breaker_state::closed) == "closed");
  CHECK(to_string(breaker_state::half_open) == "half_open");
  CHECK(to_string(breaker_state::open) == "open");
}
