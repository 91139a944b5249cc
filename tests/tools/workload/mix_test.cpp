#include <catch2/catch.hpp>

#include "diag/errc.hpp"
#include "tools/workload/errc.hpp"
#include "tools/workload/mix.hpp"

using namespace ds::workload;

namespace {

std::string why(const caf::error& err) {
  return ds::diag::error_detail(err);
}

} // namespace

TEST_CASE("a mix spec gives each kind its weight") {
  auto m = parse_mix("event:50,batch:10, state_diff:10,token_chunk:15,"
                     "metrics:10,tool:5,checkpoint:1,error:2,trace:3");
  REQUIRE(m);
  CHECK(m->weight(message_kind::event) == 50);
  CHECK(m->weight(message_kind::batch) == 10);
  CHECK(m->weight(message_kind::state_diff) == 10);
  CHECK(m->weight(message_kind::token_chunk) == 15);
  CHECK(m->weight(message_kind::metrics) == 10);
  CHECK(m->weight(message_kind::tool) == 5);
  CHECK(m->weight(message_kind::checkpoint) == 1);
  CHECK(m->weight(message_kind::error) == 2);
  CHECK(m->weight(message_kind::trace) == 3);
  CHECK(m->total() == 106);
}

TEST_CASE("the default mix parses and round-trips through to_spec") {
  auto m = parse_mix(default_mix_spec);
  REQUIRE(m);
  CHECK(m->to_spec() == default_mix_spec);
  CHECK_FALSE(m->has(message_kind::trace));
}

TEST_CASE("pick maps draws onto kinds in proportion to their weights") {
  auto m = parse_mix("event:2,tool:0,metrics:3");
  REQUIRE(m);
  CHECK(m->pick(0) == message_kind::event);
  CHECK(m->pick(1) == message_kind::event);
  CHECK(m->pick(2) == message_kind::metrics);
  CHECK(m->pick(4) == message_kind::metrics);
  CHECK(m->pick(99) == message_kind::metrics); // clamped
}

TEST_CASE("bad mix specs are refused with the offending item named") {
  struct bad_case {
    const char* spec;
    const char* mentions;
  };
  auto c = GENERATE(values<bad_case>({
    {"", "empty"},
    {"event", "not kind:weight"},
    {"event:5,", "not kind:weight"},
    {"events:5", "unknown kind 'events'"},
    {"event:-1", "weight '-1'"},
    {"event:abc", "weight 'abc'"},
    {"event:1.5", "weight '1.5'"},
    {"event:", "weight ''"},
    {"event:99999999999", "weight '99999999999'"},
    {"event:1,event:2", "appears twice"},
    {"event:0,tool:0", "every weight is zero"},
  }));
  INFO(c.spec);
  auto m = parse_mix(c.spec);
  REQUIRE_FALSE(m);
  CHECK(to_errc(m.error()) == errc::invalid_mix);
  CHECK_THAT(why(m.error()), Catch::Contains(c.mentions));
}
