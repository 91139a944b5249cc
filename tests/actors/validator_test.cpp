#include <catch2/catch.hpp>

#include <prometheus/registry.h>

#include "actors/errc.hpp"
#include "actors/validator.hpp"
#include "tests/support/caf_fixture.hpp"
#include "tests/support/fault_hooks.hpp"

using namespace ds::actors;
namespace faults = ds::test::faults;

namespace {

struct validator_fixture : ds::test::caf_fixture {
  std::shared_ptr<validator_probe> probe =
    std::make_shared<validator_probe>(registry);

  validator_actor spawn(gap_policy policy = gap_policy::warn_and_continue) {
    return sys.spawn(validator, sequence_checker_config{policy, 1000, 256},
                     probe);
  }

  // Sends one request, runs the scheduler, returns the typed reply.
  template<class T, class... Ts>
  T ask(const validator_actor& v, Ts&&... xs) {
    auto handle = self->request(v, caf::infinite, std::forward<Ts>(xs)...);
    run();
    T result{};
    bool got = false;
    handle.receive(
      [&](T& x) { result = std::move(x), got = true; },
      [&](caf::error& err) { FAIL("request failed: " << sys.render(err)); });
    // (receive() on a response handle returns at once here: run() above
    // already delivered the reply to the scoped actor's mailbox.)
    REQUIRE(got);
    return result;
  }

  // One record's items as a one-record batch; its reply, or an empty one
  // when the record passed in order.
  validation_reply
  check(const validator_actor& v, int64_t offset,
        const std::vector<std::pair<std::string, uint64_t>>& items) {
    auto notable = ask<std::vector<validation_reply>>(
      v, validate_atom::value, validation_batch_ref{batch_of(offset, items)});
    return notable.empty() ? validation_reply{0, offset, 0, {}} : notable[0];
  }

  static std::shared_ptr<const validation_batch>
  batch_of(int64_t offset,
           const std::vector<std::pair<std::string, uint64_t>>& items) {
    auto b = std::make_shared<validation_batch>();
    for (const auto& [thread, seq] : items) {
      b->add(offset, thread, seq);
    }
    return b;
  }
};

} // namespace

TEST_CASE_METHOD(validator_fixture,
                 "a validator counts gaps, duplicates and reorders into its "
                 "metrics") {
  auto v = spawn();
  check(v, 0, {{"t", 1}});
  check(v, 1, {{"t", 2}});
  check(v, 2, {{"t", 5}}); // gap of 2
  check(v, 3, {{"t", 5}}); // duplicate
  check(v, 4, {{"t", 3}}); // reorder
  // A batch with several threads: every header counts (§8.5).
  auto reply = check(v, 5, {{"t", 6}, {"u", 10}, {"u", 12}});
  CHECK(reply.offset == 5);
  CHECK(reply.rejected == 0);
  auto st = ask<validator_stats>(v, stats_atom::value);
  CHECK(st.checked == 8);
  CHECK(st.gaps == 2);
  CHECK(st.missing == 3);
  CHECK(st.duplicates == 1);
  CHECK(st.reorders == 1);
  CHECK(st.tracked_threads == 2);
  CHECK(probe->gaps.Value() == 2);
  CHECK(probe->duplicates.Value() == 1);
  CHECK(probe->reorders.Value() == 1);
  CHECK(probe->tracked_threads.Value() == 2);
}

TEST_CASE_METHOD(validator_fixture,
                 "policy halt rejects the halted thread's records until an "
                 "operator resets it") {
  auto v = spawn(gap_policy::halt);
  check(v, 0, {{"t", 1}});
  CHECK(check(v, 1, {{"t", 3}}).rejected == 1);
  CHECK(check(v, 2, {{"t", 4}}).rejected == 1);
  CHECK(check(v, 3, {{"other", 1}}).rejected == 0);
  CHECK(ask<bool>(v, reset_atom::value, std::string{"t"}));
  CHECK(check(v, 4, {{"t", 9}}).rejected == 0); // new baseline
  auto st = ask<validator_stats>(v, stats_atom::value);
  CHECK(st.quarantined == 1);
}

TEST_CASE_METHOD(validator_fixture,
                 "a crashed validator gives back its tracked-thread gauge") {
  auto v = spawn();
  check(v, 0, {{"a", 1}, {"b", 1}, {"c", 1}});
  CHECK(probe->tracked_threads.Value() == 3);
  self->monitor(v);
  self->send(
    v, validate_atom::value,
    validation_batch_ref{batch_of(1, {{faults::validator_crash_thread, 1}})});
  run();
  bool down = false;
  self->receive(
    [&](caf::down_msg& msg) {
      down = true;
      // The exit reason names the record it crashed on, so the reader can
      // count crashes per record (the poison detector).
      CHECK(to_errc(msg.reason) == errc::validator_crashed);
      const auto& ctx = msg.reason.context();
      REQUIRE(ctx.match_elements<std::string, int32_t, int64_t>());
      CHECK(ctx.get_as<int32_t>(1) == 0);
      CHECK(ctx.get_as<int64_t>(2) == 1);
    },
    caf::after(std::chrono::seconds(0)) >> [] {});
  REQUIRE(down);
  CHECK(probe->tracked_threads.Value() == 0);
}

TEST_CASE_METHOD(validator_fixture,
                 "a batch message checks its records in order and names "
                 "the rejected ones") {
  auto v = spawn(gap_policy::halt);
  auto b = std::make_shared<validation_batch>();
  b->add(0, "t", 1);
  b->add(1, "t", 2);
  b->add(2, "t", 4); // gap: halts t
  b->add(3, "t", 5); // quarantined
  b->add(3, "u", 1); // same record, another thread: still checked
  b->add(4, "u", 2);
  auto rejected = ask<std::vector<validation_reply>>(v, validate_atom::value,
                                                     validation_batch_ref{b});
  REQUIRE(rejected.size() == 2);
  CHECK(rejected[0].offset == 2);
  CHECK(rejected[0].rejected == 1);
  CHECK(rejected[1].offset == 3);
  CHECK(rejected[1].rejected == 1);
  auto stats = ask<validator_stats>(v, stats_atom::value);
  CHECK(stats.checked == 6);
  CHECK(stats.gaps == 1);
  CHECK(stats.quarantined == 1);
}

TEST_CASE_METHOD(validator_fixture,
                 "a batch reply gives the verdict of each record that was "
                 "not in order") {
  auto v = spawn();
  auto b = std::make_shared<validation_batch>();
  b->add(0, "t", 1);
  b->add(1, "t", 4); // gap of 2
  b->add(2, "t", 4); // duplicate
  b->add(3, "t", 2); // reorder
  b->add(4, "u", 1);
  b->add(4, "t", 5); // in order again
  auto notable = ask<std::vector<validation_reply>>(v, validate_atom::value,
                                                    validation_batch_ref{b});
  REQUIRE(notable.size() == 3);
  CHECK(notable[0].offset == 1);
  CHECK(notable[0].verdict == record_verdict{verdict_kind::gap, 2});
  CHECK(notable[1].offset == 2);
  CHECK(notable[1].verdict.kind == verdict_kind::duplicate);
  CHECK(notable[2].offset == 3);
  CHECK(notable[2].verdict.kind == verdict_kind::reorder);
  for (const auto& r : notable) {
    CHECK(r.rejected == 0);
  }
}
