#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <prometheus/registry.h>

#include "actors/supervisor.hpp"
#include "tests/support/caf_fixture.hpp"

using namespace ds::actors;
using namespace std::chrono_literals;

namespace {

using crash_atom = caf::atom_constant<caf::atom("crash")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;

// A child that dies on request: abnormally (crash) or normally (finish).
// The unused argument works around CAF 0.17 binding a reference to a null
// shared_ptr<tuple<>> for actors spawned without arguments (UBSan aborts).
caf::behavior worker(caf::event_based_actor* self, int) {
  return {
    [self](crash_atom) {
      self->quit(caf::make_error(caf::sec::runtime_error, "crash requested"));
    },
    [self](finish_atom) { self->quit(); },
  };
}

struct supervisor_fixture : ds::test::caf_fixture {
  std::shared_ptr<supervisor_probe> probe =
    std::make_shared<supervisor_probe>(registry);
  std::map<std::string, int> starts; // name -> instances started

  child_spec spec(const std::string& name,
                  restart_policy policy = restart_policy::permanent) {
    return child_spec{
      name, "worker", [](caf::actor_system& s) { return s.spawn(worker, 0); },
      policy, [this, name](const caf::actor&) { ++starts[name]; }};
  }

  supervisor_config config(restart_strategy s = restart_strategy::one_for_one) {
    supervisor_config c;
    c.strategy = s;
    c.max_restarts = 3;
    c.within = 60s;
    c.backoff_initial = 100ms;
    c.backoff_max = 1s;
    c.jitter = 0.0; // exact delays for the assertions
    c.seed = 42;
    return c;
  }

  template<class T, class... Ts>
  T ask(const supervisor_actor& sup, Ts&&... xs) {
    auto handle = self->request(sup, caf::infinite, std::forward<Ts>(xs)...);
    run();
    T result{};
    handle.receive([&](T& x) { result = std::move(x); },
                   [&](caf::error& err) { FAIL(sys.render(err)); });
    return result;
  }

  caf::actor child(const supervisor_actor& sup, const std::string& name) {
    return ask<caf::actor>(sup, get_atom::value, name);
  }

  double restarts_of(const std::string& kind) {
    return probe->restarts.Add({{"actor", kind}}).Value();
  }
};

} // namespace

TEST_CASE_METHOD(supervisor_fixture,
                 "one_for_one restarts only the failed child, after its "
                 "backoff") {
  auto sup = sys.spawn(supervisor, config(), probe,
                       std::vector<child_spec>{spec("a"), spec("b")});
  run();
  auto a1 = child(sup, "a");
  auto b1 = child(sup, "b");
  REQUIRE(a1);
  self->send(a1, crash_atom::value);
  run();
  CHECK_FALSE(child(sup, "a")); // waiting for its backoff
  advance(99ms);
  run();
  CHECK_FALSE(child(sup, "a"));
  advance(1ms);
  run();
  auto a2 = child(sup, "a");
  REQUIRE(a2);
  CHECK(a2 != a1);
  CHECK(child(sup, "b") == b1);
  CHECK(starts["a"] == 2);
  CHECK(starts["b"] == 1);
  CHECK(restarts_of("worker") == 1);
  CHECK(ask<supervisor_stats>(sup, stats_atom::value).restarts == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "backoff doubles with each recent restart") {
  auto sup =
    sys.spawn(supervisor, config(), probe, std::vector<child_spec>{spec("a")});
  run();
  self->send(child(sup, "a"), crash_atom::value);
  run();
  advance(100ms);
  run();
  REQUIRE(child(sup, "a"));
  self->send(child(sup, "a"), crash_atom::value);
  run();
  advance(199ms);
  run();
  CHECK_FALSE(child(sup, "a"));
  advance(1ms);
  run();
  CHECK(child(sup, "a"));
}

TEST_CASE_METHOD(supervisor_fixture,
                 "one_for_all restarts every child when one fails") {
  auto sup = sys.spawn(supervisor, config(restart_strategy::one_for_all), probe,
                       std::vector<child_spec>{spec("a"), spec("b")});
  run();
  auto a1 = child(sup, "a");
  auto b1 = child(sup, "b");
  self->send(b1, crash_atom::value);
  run();
  advance(100ms);
  run();
  CHECK(child(sup, "a") != a1);
  CHECK(child(sup, "b") != b1);
  CHECK(starts["a"] == 2);
  CHECK(starts["b"] == 2);
  CHECK(restarts_of("worker") == 1); // one failure, one restart round
}

TEST_CASE_METHOD(supervisor_fixture,
                 "transient children are restarted only after a failure, "
                 "temporary never") {
  auto sup =
    sys.spawn(supervisor, config(), probe,
              std::vector<child_spec>{spec("t", restart_policy::transient),
                                      spec("u", restart_policy::transient),
                                      spec("x", restart_policy::temporary)});
  run();
  self->send(child(sup, "t"), finish_atom::value);
  self->send(child(sup, "u"), crash_atom::value);
  self->send(child(sup, "x"), crash_atom::value);
  run();
  advance(1s);
  run();
  CHECK(starts["t"] == 1);
  CHECK(starts["u"] == 2);
  CHECK(starts["x"] == 1);
  CHECK(ask<supervisor_stats>(sup, stats_atom::value).children == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "exceeding the restart intensity stops the children and "
                 "escalates") {
  auto sup = sys.spawn(supervisor, config(), probe,
                       std::vector<child_spec>{spec("a"), spec("b")});
  run();
  auto b = child(sup, "b");
  self->monitor(sup);
  self->monitor(b);
  for (int i = 0; i < 3; ++i) { // max_restarts = 3: all restarted
    self->send(child(sup, "a"), crash_atom::value);
    run();
    advance(1s);
    run();
  }
  CHECK(starts["a"] == 4);
  self->send(child(sup, "a"), crash_atom::value); // the 4th within 60 s
  run();
  int downs = 0;
  caf::error sup_reason;
  for (int i = 0; i < 2; ++i) {
    self->receive(
      [&](caf::down_msg& msg) {
        ++downs;
        if (msg.source == sup.address()) {
          sup_reason = msg.reason;
        }
      },
      caf::after(0s) >> [] {});
  }
  CHECK(downs == 2); // the supervisor and its other child
  CHECK(to_errc(sup_reason) == errc::restart_intensity_exceeded);
  CHECK(probe->escalations.Add({{"supervisor", "root"}}).Value() == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "restarts spread beyond the window do not escalate") {
  auto sup =
    sys.spawn(supervisor, config(), probe, std::vector<child_spec>{spec("a")});
  run();
  for (int i = 0; i < 6; ++i) {
    self->send(child(sup, "a"), crash_atom::value);
    run();
    advance(61s); // each failure falls outside the previous one's window
    run();
  }
  CHECK(starts["a"] == 7);
  CHECK(restarts_of("worker") == 6);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a parent restarts a child supervisor that escalated") {
  auto inner_cfg = config();
  inner_cfg.name = "inner";
  inner_cfg.max_restarts = 0; // the first failure escalates
  auto parent_cfg = config();
  parent_cfg.name = "outer";
  int inner_starts = 0;
  caf::actor inner_handle;
  child_spec inner{"inner", "supervisor",
                   [&, inner_cfg](caf::actor_system& s) {
                     return caf::actor_cast<caf::actor>(
                       s.spawn(supervisor, inner_cfg, probe,
                               std::vector<child_spec>{spec("w")}));
                   },
                   restart_policy::permanent,
                   [&](const caf::actor& h) {
                     ++inner_starts;
                     inner_handle = h;
                   }};
  auto outer =
    sys.spawn(supervisor, parent_cfg, probe, std::vector<child_spec>{inner});
  run();
  REQUIRE(inner_starts == 1);
  auto inner_sup = caf::actor_cast<supervisor_actor>(inner_handle);
  self->send(child(inner_sup, "w"), crash_atom::value);
  run();
  advance(100ms);
  run();
  CHECK(inner_starts == 2);
  CHECK(restarts_of("supervisor") == 1);
  CHECK(starts["w"] == 2); // the fresh inner supervisor started a fresh w
}
