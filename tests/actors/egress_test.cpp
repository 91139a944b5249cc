#include <catch2/catch.hpp>

#include "actors/egress.hpp"

using namespace ds::actors;

namespace {

validated_record rec(int64_t offset) {
  validated_record r;
  r.offset = offset;
  return r;
}

std::vector<int64_t> offsets(const std::vector<validated_record>& rs) {
  std::vector<int64_t> out;
  out.reserve(rs.size());
  for (const auto& r : rs) {
    out.push_back(r.offset);
  }
  return out;
}

} // namespace

TEST_CASE("the egress sequencer releases records in offset order") {
  egress_sequencer seq;
  for (int64_t o : {10, 11, 12, 15}) {
    seq.track(o, false);
  }
  seq.passed(rec(11));
  CHECK(seq.take_ready().empty()); // 10 is still out
  seq.dropped(10);                 // rejected: skipped, not published
  seq.passed(rec(15));
  CHECK(offsets(seq.take_ready()) == std::vector<int64_t>{11});
  seq.mark_redelivered(12);
  seq.passed(rec(12));
  auto ready = seq.take_ready();
  CHECK(offsets(ready) == std::vector<int64_t>{12, 15});
  CHECK(ready[0].redelivered);
  CHECK_FALSE(ready[1].redelivered);
  CHECK(seq.tracked() == 0);
}

TEST_CASE("the egress sequencer ignores a second answer for a record") {
  egress_sequencer seq;
  seq.track(1, true); // a batch the consumer sent again
  seq.passed(rec(1));
  auto again = rec(1);
  again.thread_id = "late";
  seq.passed(again);
  auto ready = seq.take_ready();
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].thread_id.empty());
  CHECK(ready[0].redelivered);
  seq.passed(rec(2)); // never tracked
  CHECK(seq.take_ready().empty());
}
