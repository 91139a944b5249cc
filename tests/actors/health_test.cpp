// The health actor on the deterministic test coordinator: it owns the
// circuit breaker (state changes reach the board and the metrics, and time,
// not messages, moves it from open to half_open) and the health model (the
// report moves with poll outcomes, record deltas and DLQ refusals).
#include <catch2/catch.hpp>

#include <vector>

#include "actors/health.hpp"
#include "tests/support/caf_fixture.hpp"
#include "tests/support/metrics_reader.hpp"

using namespace ds::actors;
using namespace std::chrono_literals;

namespace {

struct health_fixture : ds::test::caf_fixture {
  std::shared_ptr<circuit_breaker_probe> probe =
    std::make_shared<circuit_breaker_probe>(registry);
  std::shared_ptr<health_board> board = std::make_shared<health_board>();
  std::vector<health_actor> spawned;

  // The heartbeat keeps the actor alive (a pending delayed message holds a
  // reference): stop it, as its supervisor would, or the system never ends.
  ~health_fixture() {
    for (auto& h : spawned) {
      self->send_exit(h, caf::exit_reason::user_shutdown);
    }
    run();
  }

  health_actor spawn() {
    health_settings cfg;
    cfg.breaker.failure_threshold = 3;
    cfg.breaker.open_duration = 10s;
    cfg.breaker.half_open_probes = 2;
    cfg.model.min_samples = 10;
    health_actor h = sys.spawn(health, cfg, probe, board);
    run();
    spawned.push_back(h);
    return h;
  }

  breaker_state ask_state(const health_actor& h) {
    auto handle = self->request(h, caf::infinite, get_atom::value);
    run();
    uint8_t result = 255;
    handle.receive([&](uint8_t x) { result = x; },
                   [&](caf::error& err) { FAIL(sys.render(err)); });
    REQUIRE(result <= 2);
    return static_cast<breaker_state>(result);
  }

  void failures(const health_actor& h, uint32_t n) {
    self->send(h, poll_outcome{n, false, 1});
    run();
  }

  void ok(const health_actor& h) {
    self->send(h, poll_outcome{0, true, 1});
    run();
  }

  double gauge() {
    return ds::test::metric(registry, "dashstream_circuit_breaker_state", {});
  }
};

} // namespace

TEST_CASE_METHOD(health_fixture,
                 "the breaker opens on consecutive infrastructure failures "
                 "and the board shows it at once") {
  auto h = spawn();
  CHECK(board->breaker() == breaker_state::closed);
  failures(h, 2);
  CHECK(ask_state(h) == breaker_state::closed);
  failures(h, 1);
  CHECK(board->breaker() == breaker_state::open); // no tick needed
  CHECK(ask_state(h) == breaker_state::open);
  CHECK(board->snapshot()->status == health_status::reconnecting);
  CHECK(gauge() == 2);
}

TEST_CASE_METHOD(health_fixture,
                 "a success between failures resets the count: an idle but "
                 "reachable broker never opens it") {
  auto h = spawn();
  for (int i = 0; i < 10; ++i) {
    failures(h, 2);
    ok(h);
  }
  CHECK(ask_state(h) == breaker_state::closed);
}

TEST_CASE_METHOD(health_fixture,
                 "the heartbeat moves open to half_open when the hold-down "
                 "ends, and probes close it") {
  auto h = spawn();
  failures(h, 3);
  REQUIRE(ask_state(h) == breaker_state::open);
  // 9 s of heartbeats: still held open, successes ignored.
  for (int i = 0; i < 9; ++i) {
    advance(1s);
    run();
  }
  ok(h);
  CHECK(board->breaker() == breaker_state::open);
  advance(1s);
  run();
  // The tick alone published the move, without any poll result.
  CHECK(board->breaker() == breaker_state::half_open);
  CHECK(gauge() == 1);
  ok(h);
  ok(h);
  CHECK(board->breaker() == breaker_state::closed);
  CHECK(ds::test::metric(registry,
                         "dashstream_circuit_breaker_transitions_total",
                         {{"to", "closed"}}) == 1);
}

TEST_CASE_METHOD(health_fixture,
                 "a failure while half_open reopens the breaker") {
  auto h = spawn();
  failures(h, 3);
  advance(10s);
  run();
  REQUIRE(ask_state(h) == breaker_state::half_open);
  failures(h, 1);
  CHECK(ask_state(h) == breaker_state::open);
}

TEST_CASE_METHOD(health_fixture,
                 "the report follows assignment, record deltas and DLQ "
                 "refusals") {
  auto h = spawn();
  CHECK(board->snapshot()->status == health_status::waiting);
  ok(h); // one partition assigned
  advance(1s);
  run();
  CHECK(board->snapshot()->status == health_status::healthy);
  // A window of 100 records, 20 of them undecodable: over the 5 % mark.
  self->send(h, record_delta{80, 20});
  run();
  advance(1s);
  run();
  auto r = board->snapshot();
  CHECK(r->status == health_status::degraded);
  CHECK(r->window_messages == 100);
  CHECK(r->window_decode_errors == 20);
  self->send(h, dlq_refusal_atom::value, std::string{"spool full"});
  run(); // published at once
  bool named = false;
  for (const auto& reason : board->snapshot()->reasons) {
    named = named || reason.find("spool full") != std::string::npos;
  }
  CHECK(named);
}
