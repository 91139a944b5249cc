#include <catch2/catch.hpp>

#include "tools/workload/errc.hpp"
#include "tools/workload/workload_config.hpp"

using namespace ds::workload;

TEST_CASE("amounts are counts or percentages of the base") {
  CHECK(*parse_amount("0", 1000) == 0);
  CHECK(*parse_amount("17", 1000) == 17);
  CHECK(*parse_amount("17", 5) == 17); // placement judges feasibility
  CHECK(*parse_amount("2%", 1000) == 20);
  CHECK(*parse_amount("0.5%", 1000) == 5);
  CHECK(*parse_amount("100%", 7) == 7);
  CHECK(*parse_amount("33%", 10) == 3); // rounded down
}

TEST_CASE("malformed amounts are refused") {
  for (auto bad : {"", "-1", "1.5", "x", "5 ", "%", "101%", "-2%", "1..2%",
                   ".%", "inf%", "nan%", "1e2%", "2%%"}) {
    INFO(bad);
    auto n = parse_amount(bad, 1000);
    REQUIRE_FALSE(n);
    CHECK(to_errc(n.error()) == errc::invalid_amount);
  }
}

TEST_CASE("traceparent validation follows W3C trace context level 1") {
  CHECK(is_valid_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(is_valid_traceparent(
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(is_valid_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  CHECK_FALSE(is_valid_traceparent(
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(is_valid_traceparent(
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(is_valid_traceparent("auto"));
}

TEST_CASE("settings that cannot work are refused") {
  workload_config ok;
  REQUIRE_FALSE(validate(ok));
  auto refused = [](const workload_config& c) {
    return to_errc(validate(c)) == errc::invalid_config;
  };
  auto c = ok;
  c.threads = 0;
  CHECK(refused(c));
  c = ok;
  c.tenants = ok.threads + 1;
  CHECK(refused(c));
  c = ok;
  c.size = (1u << 20) + 1;
  CHECK(refused(c));
  c = ok;
  c.batch_threads = 0;
  CHECK(refused(c));
  c = ok;
  c.bomb_size = 10u << 20; // must exceed the decoder cap to be a bomb
  CHECK(refused(c));
  c = ok;
  c.trace = trace_mode::fixed;
  c.traceparent = "nope";
  CHECK(refused(c));
}
