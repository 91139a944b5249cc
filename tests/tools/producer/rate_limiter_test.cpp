#include <catch2/catch.hpp>

#include "tools/producer/rate_limiter.hpp"

using namespace ds::producer;
using namespace std::chrono_literals;

namespace {

int acquire_all(rate_limiter& rl, std::string_view tenant,
                rate_limiter::clock::time_point now) {
  int n = 0;
  while (rl.try_acquire(tenant, now)) {
    ++n;
    REQUIRE(n <= 100000); // a broken limiter must not hang the test
  }
  return n;
}

} // namespace

TEST_CASE("a tenant gets its burst, then refusals, then a refill") {
  rate_limiter rl{{true, 100.0, 1000.0}};
  rate_limiter::clock::time_point t0{};
  CHECK(acquire_all(rl, "acme", t0) == 1000);
  CHECK_FALSE(rl.try_acquire("acme", t0));
  // 100 msg/s: 10 ms buys one token, 50 ms five.
  CHECK(acquire_all(rl, "acme", t0 + 10ms) == 1);
  CHECK(acquire_all(rl, "acme", t0 + 60ms) == 5);
  // A long pause refills to the burst, never beyond it.
  CHECK(acquire_all(rl, "acme", t0 + 1h) == 1000);
}

TEST_CASE("tenants have separate buckets") {
  rate_limiter rl{{true, 10.0, 3.0}};
  rate_limiter::clock::time_point t0{};
  CHECK(acquire_all(rl, "acme", t0) == 3);
  CHECK(acquire_all(rl, "globex", t0) == 3);
  CHECK(acquire_all(rl, "acme", t0 + 100ms) == 1);
  CHECK_FALSE(rl.try_acquire("globex", t0 + 50ms));
}

TEST_CASE("time going backwards neither refills nor breaks the bucket") {
  rate_limiter rl{{true, 10.0, 2.0}};
  rate_limiter::clock::time_point t0{100s};
  CHECK(acquire_all(rl, "acme", t0) == 2);
  CHECK_FALSE(rl.try_acquire("acme", t0 - 10s));
  CHECK(acquire_all(rl, "acme", t0 + 100ms) == 1);
}

TEST_CASE("a disabled limiter admits everything") {
  rate_limiter rl{{false, 1.0, 1.0}};
  rate_limiter::clock::time_point t0{};
  for (int i = 0; i < 10; ++i) {
    CHECK(rl.try_acquire("acme", t0));
  }
}
