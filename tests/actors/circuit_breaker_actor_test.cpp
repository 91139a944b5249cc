// The breaker actor on the deterministic test coordinator: state changes
// reach the publisher and the metrics, and time (not messages) moves it from
// open to half_open.
#include <catch2/catch.hpp>

#include <vector>

#include "actors/circuit_breaker_actor.hpp"
#include "tests/support/caf_fixture.hpp"
#include "tests/support/metrics_reader.hpp"

using namespace ds::actors;
using namespace std::chrono_literals;

namespace {

struct breaker_fixture : ds::test::caf_fixture {
  std::shared_ptr<circuit_breaker_probe> probe =
    std::make_shared<circuit_breaker_probe>(registry);
  std::vector<breaker_state> published;
  std::vector<breaker_actor> spawned;

  // The heartbeat keeps a breaker alive (a pending delayed message holds a
  // reference): stop it, as its supervisor would, or the system never ends.
  ~breaker_fixture() {
    for (auto& b : spawned) {
      self->send_exit(b, caf::exit_reason::user_shutdown);
    }
    run();
  }

  breaker_actor spawn() {
    circuit_breaker_config cfg;
    cfg.failure_threshold = 3;
    cfg.open_duration = 10s;
    cfg.half_open_probes = 2;
    auto b = sys.spawn(
      circuit_breaker_actor, cfg, probe,
      breaker_publisher{[this](breaker_state s) { published.push_back(s); }},
      std::chrono::milliseconds{1000});
    run();
    spawned.push_back(b);
    return b;
  }

  breaker_state ask_state(const breaker_actor& b) {
    auto handle = self->request(b, caf::infinite, get_atom::value);
    run();
    uint8_t result = 255;
    handle.receive([&](uint8_t x) { result = x; },
                   [&](caf::error& err) { FAIL(sys.render(err)); });
    REQUIRE(result <= 2);
    return static_cast<breaker_state>(result);
  }

  double gauge() {
    return ds::test::metric(registry, "dashstream_circuit_breaker_state", {});
  }
};

} // namespace

TEST_CASE_METHOD(breaker_fixture,
                 "the breaker actor opens on consecutive infrastructure "
                 "failures and publishes the change") {
  auto b = spawn();
  REQUIRE_FALSE(published.empty());
  CHECK(published.back() == breaker_state::closed);
  self->send(b, broker_failure_atom::value, uint32_t{2});
  run();
  CHECK(ask_state(b) == breaker_state::closed);
  self->send(b, broker_failure_atom::value, uint32_t{1});
  run();
  CHECK(ask_state(b) == breaker_state::open);
  CHECK(published.back() == breaker_state::open);
  CHECK(gauge() == 2);
}

TEST_CASE_METHOD(breaker_fixture,
                 "a success between failures resets the count: an idle but "
                 "reachable broker never opens it") {
  auto b = spawn();
  for (int i = 0; i < 10; ++i) {
    self->send(b, broker_failure_atom::value, uint32_t{2});
    self->send(b, broker_ok_atom::value);
    run();
  }
  CHECK(ask_state(b) == breaker_state::closed);
}

TEST_CASE_METHOD(breaker_fixture,
                 "the heartbeat moves open to half_open when the hold-down "
                 "ends, and probes close it") {
  auto b = spawn();
  self->send(b, broker_failure_atom::value, uint32_t{3});
  run();
  REQUIRE(ask_state(b) == breaker_state::open);
  // 9 s of heartbeats: still held open, successes ignored.
  for (int i = 0; i < 9; ++i) {
    advance(1s);
    run();
  }
  self->send(b, broker_ok_atom::value);
  run();
  CHECK(published.back() == breaker_state::open);
  advance(1s);
  run();
  // The tick alone published the move, without any poll result.
  CHECK(published.back() == breaker_state::half_open);
  CHECK(gauge() == 1);
  self->send(b, broker_ok_atom::value);
  self->send(b, broker_ok_atom::value);
  run();
  CHECK(published.back() == breaker_state::closed);
  CHECK(ds::test::metric(registry,
                         "dashstream_circuit_breaker_transitions_total",
                         {{"to", "closed"}}) == 1);
}

TEST_CASE_METHOD(breaker_fixture,
                 "a failure while half_open reopens the breaker") {
  auto b = spawn();
  self->send(b, broker_failure_atom::value, uint32_t{3});
  run();
  advance(10s);
  run();
  REQUIRE(ask_state(b) == breaker_state::half_open);
  self->send(b, broker_failure_atom::value, uint32_t{1});
  run();
  CHECK(ask_state(b) == breaker_state::open);
}
