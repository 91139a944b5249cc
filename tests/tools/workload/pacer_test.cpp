#include <catch2/catch.hpp>

#include "tools/workload/pacer.hpp"

using namespace ds::workload;
using namespace std::chrono_literals;

TEST_CASE("records are due at start + n / rate") {
  pacer::clock::time_point t0{10s};
  pacer p{500.0, t0};
  CHECK(p.paced());
  CHECK(p.due(0) == t0);
  CHECK(p.due(1) == t0 + 2ms);
  CHECK(p.due(999) == t0 + 1998ms);
  // No drift after millions of records.
  pacer fast{100'000.0, t0};
  CHECK(fast.due(10'000'000) == t0 + 100s);
}

TEST_CASE("a sender waits only when it is more than the slack ahead") {
  pacer::clock::time_point t0{};
  pacer p{1000.0, t0, 1ms};
  // On time or late: no wait.
  CHECK(p.wait_before(0, t0) == 0ns);
  CHECK(p.wait_before(5, t0 + 10ms) == 0ns);
  // Record 5 is due at 5 ms; at 1 ms the sender is 4 ms early.
  CHECK(p.wait_before(5, t0 + 1ms) == 4ms);
  // Within the slack it keeps going: bursts instead of per-record sleeps.
  CHECK(p.wait_before(5, t0 + 4ms) == 0ns);
  pacer fast{100'000.0, t0, 1ms};
  // 100k/s: 100 records fit in the slack before the first wait.
  CHECK(fast.wait_before(100, t0) == 0ns);
  CHECK(fast.wait_before(101, t0) > 0ns);
}

TEST_CASE("rate 0 means full speed") {
  pacer p{0.0, pacer::clock::time_point{}};
  CHECK_FALSE(p.paced());
  CHECK(p.wait_before(1'000'000, pacer::clock::time_point{}) == 0ns);
}
