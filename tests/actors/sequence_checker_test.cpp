#include <catch2/catch.hpp>

#include "actors/sequence_checker.hpp"

using namespace ds::actors;
using o = sequence_outcome;

TEST_CASE("the first sequence of a thread is its baseline, whatever it is") {
  sequence_checker c;
  CHECK(c.check("t", 41).outcome == o::baseline); // restart: no false gap
  CHECK(c.check("t", 42).outcome == o::in_order);
  CHECK(c.check("u", 1).outcome == o::baseline);
  CHECK(c.check("u", 2).outcome == o::in_order);
}

TEST_CASE("gap, duplicate and reorder per contract §3") {
  sequence_checker c;
  c.check("t", 1);
  c.check("t", 2); // expected = 3
  SECTION("a jump ahead is a gap of the missing count, then continues") {
    auto v = c.check("t", 6);
    CHECK(v.outcome == o::gap);
    CHECK(v.missing == 3);
    CHECK(v.expected == 3);
    CHECK(c.check("t", 7).outcome == o::in_order);
  }
  SECTION("expected-1 is a duplicate and does not move expected") {
    CHECK(c.check("t", 2).outcome == o::duplicate);
    CHECK(c.check("t", 2).outcome == o::duplicate);
    CHECK(c.check("t", 3).outcome == o::in_order);
  }
  SECTION("older than expected-1 is a reorder and does not move expected") {
    CHECK(c.check("t", 1).outcome == o::reorder);
    CHECK(c.check("t", 3).outcome == o::in_order);
  }
  SECTION("a swapped pair is one gap of 1 and one reorder") {
    CHECK(c.check("t", 4).outcome == o::gap);
    CHECK(c.check("t", 3).outcome == o::reorder);
    CHECK(c.check("t", 5).outcome == o::in_order);
  }
}

TEST_CASE("empty thread ids and sequence 0 are not validated") {
  sequence_checker c;
  CHECK(c.check("", 5).outcome == o::unsequenced);
  CHECK(c.check("t", 0).outcome == o::unsequenced);
  CHECK(c.tracked() == 0);
}

TEST_CASE("policy halt quarantines only the offending thread until reset") {
  sequence_checker c{{gap_policy::halt, 100, 256}};
  c.check("t", 1);
  c.check("other", 1);
  auto v = c.check("t", 5);
  CHECK(v.outcome == o::gap);
  CHECK(v.halted_now);
  CHECK(c.is_halted("t"));
  CHECK(c.check("t", 6).outcome == o::quarantined);
  CHECK(c.check("t", 2).outcome == o::quarantined);
  CHECK(c.check("other", 2).outcome == o::in_order);
  CHECK(c.reset("t"));
  CHECK_FALSE(c.is_halted("t"));
  CHECK(c.check("t", 9).outcome == o::baseline);
  CHECK_FALSE(c.reset("never-seen"));
}

TEST_CASE("policy continue behaves like warn_and_continue for the verdict") {
  sequence_checker c{{gap_policy::continue_silently, 100, 256}};
  c.check("t", 1);
  CHECK(c.check("t", 3).outcome == o::gap);
  CHECK(c.check("t", 4).outcome == o::in_order);
}

TEST_CASE("the thread table is bounded and evicts the least recently seen") {
  sequence_checker c{{gap_policy::warn_and_continue, 3, 256}};
  c.check("a", 1);
  c.check("b", 1);
  c.check("c", 1);
  c.check("a", 2); // a is now the most recent; b is the oldest
  c.check("d", 1); // evicts b
  CHECK(c.tracked() == 3);
  CHECK(c.evictions() == 1);
  // An evicted thread comes back as a baseline, never as a false gap.
  CHECK(c.check("b", 2).outcome == o::baseline); // evicts c
  CHECK(c.check("a", 3).outcome == o::in_order);
  CHECK(c.evictions() == 2);
}

TEST_CASE("long thread ids are tracked as prefix plus hash") {
  sequence_checker c{{gap_policy::warn_and_continue, 100, 64}};
  std::string a(300, 'x');
  std::string b = a;
  b.back() = 'y';
  auto ka = c.tracking_key(a);
  CHECK(ka.size() == 64);
  CHECK(ka.substr(0, 10) == "xxxxxxxxxx");
  CHECK(ka != c.tracking_key(b));
  CHECK(c.tracking_key(std::string(64, 'z')) == std::string(64, 'z'));
  c.check(a, 1);
  c.check(b, 7);
  CHECK(c.check(a, 2).outcome == o::in_order);
  CHECK(c.check(b, 8).outcome == o::in_order);
}
