#include "clients/session.hpp"

#include <caf/send.hpp>
#include <catch2/catch.hpp>

#include "clients/client_supervisor.hpp"
#include "clients/cold_reader.hpp"
#include "clients/fanout.hpp"
#include "tests/clients/fake_connection.hpp"
#include "tests/clients/validated_batch.hpp"
#include "tests/support/caf_fixture.hpp"

using namespace ds;
using namespace ds::clients;
using ds::test::range;

namespace {

struct fixture : test::caf_fixture {
  std::shared_ptr<clients_probe> probe =
    std::make_shared<clients_probe>(registry);
  fanout_actor fan;
  cold_reader_actor cold; // none unless a test sets one
  client_supervisor_actor sup;
  session_config cfg;

  explicit fixture(std::size_t ring_bytes = 64u << 20) {
    fanout_config fc;
    fc.ring_bytes = ring_bytes;
    fan = sys.spawn(fanout, fc, probe, actors::egress_actor{});
    sup = sys.spawn(client_supervisor, probe);
    run();
  }

  // Sessions end with their supervisor; the system waits for every actor.
  ~fixture() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(fan, caf::exit_reason::user_shutdown);
    run();
  }

  std::pair<session_impl, std::shared_ptr<test::fake_connection>>
  connect(subscription sub = {}) {
    auto conn = std::make_shared<test::fake_connection>();
    auto s = sys.spawn(client_session, conn, std::move(sub), fan, cold, sup,
                       cfg, probe);
    run();
    return {s, conn};
  }

  // Publishes offsets [from, to) of `partition` as the egress would; every
  // record's tenant is `tenant(offset)`.
  void publish(int32_t partition, int64_t from, int64_t to,
               const std::function<std::string(int64_t)>& tenant = {},
               std::optional<int64_t> gap_at = std::nullopt) {
    auto b = test::validated_batch_of(partition, from, to, tenant, gap_at);
    caf::anon_send(fan, actors::validated_batch_ref{b});
    run();
  }

  void say(const session_impl& s, const std::string& text) {
    caf::anon_send(caf::actor_cast<session_actor>(s), text_atom::value, text);
    run();
  }

  // Lets `secs` seconds of actor time pass, one tick at a time.
  void wait(int secs) {
    for (int i = 0; i < secs; ++i) {
      advance(std::chrono::seconds{1});
      run();
    }
  }
};

} // namespace

TEST_CASE("live records reach every session once, cursor then exact bytes, "
          "with gap frames before the record after a gap") {
  fixture f;
  auto [s, conn] = f.connect();
  f.publish(0, 0, 5, {}, 3);
  f.publish(0, 3, 7); // redelivered 3 and 4 are not sent again
  CHECK(conn->cursor_offsets() == range(0, 7));
  // cursor, binary pairs; the gap frame comes right before offset 3.
  std::vector<std::string> kinds;
  for (const auto& fr : conn->frames) {
    kinds.push_back(fr.text() ? fr.json()["type"].get<std::string>() : "bin");
  }
  CHECK(kinds[6] == "gap");
  CHECK(kinds[7] == "cursor");
  CHECK(conn->frames[8].payload == "value-3");
  auto gap = conn->of_type("gap").at(0);
  CHECK(gap["count"] == 3);
  CHECK(gap["threadId"] == "thread-1");
}

TEST_CASE("a session sees only its tenant's records") {
  fixture f;
  auto [a, acme] = f.connect(subscription{"acme"});
  auto [g, globex] = f.connect(subscription{"globex"});
  auto [all, admin] = f.connect();
  f.publish(0, 0, 10, [](int64_t o) { return o % 2 == 0 ? "acme" : "globex"; });
  CHECK(acme->cursor_offsets() == std::vector<int64_t>{0, 2, 4, 6, 8});
  CHECK(globex->cursor_offsets() == std::vector<int64_t>{1, 3, 5, 7, 9});
  CHECK(admin->cursor_offsets() == range(0, 10));
  for (const auto& fr : acme->frames) {
    if (!fr.text()) {
      auto o = std::stoll(fr.payload.substr(6));
      CHECK(o % 2 == 0);
    }
  }
}

TEST_CASE("ping gets pong; unknown types are ignored, invalid JSON counted") {
  fixture f;
  auto [s, conn] = f.connect();
  f.say(s, R"({"type":"ping"})");
  f.say(s, R"({"type":"hello"})");
  f.say(s, "{oops");
  CHECK(conn->of_type("pong").size() == 1);
  CHECK(f.probe->invalid_messages.Value() == 1);
  CHECK_FALSE(conn->closing);
}

TEST_CASE("resume replays exactly the records after the client's cursor, "
          "then the live stream follows with no duplicate") {
  fixture f;
  f.publish(0, 0, 10);
  f.publish(1, 0, 4);
  auto [s, conn] = f.connect();
  f.say(s, R"({"type":"resume","lastOffsetsByPartition":{"0":"4"}})");
  // Partition 0 after 4, and partition 1 (omitted) from the oldest kept.
  CHECK(conn->cursor_offsets() ==
        std::vector<int64_t>{5, 6, 7, 8, 9, 0, 1, 2, 3});
  auto done = conn->of_type("replay_complete").at(0);
  CHECK(done["totalReplayed"] == 9);
  CHECK(done["capped"] == false);
  CHECK(done["lastOffsetsByPartition"]["0"] == "9");
  CHECK(done["lastOffsetsByPartition"]["1"] == "3");
  f.publish(0, 8, 12); // 8, 9 redelivered by the pipeline
  auto offs = conn->cursor_offsets();
  CHECK(std::vector<int64_t>(offs.end() - 2, offs.end()) ==
        std::vector<int64_t>{10, 11});
}

TEST_CASE("live records that arrive while a replay is pending are held, and "
          "sent after it without duplicates") {
  fixture f;
  f.publish(0, 0, 5);
  auto [s, conn] = f.connect();
  // The session asks; before the fan-out answers, a live batch reaches the
  // session directly (as if the fan-out had sent it just before).
  caf::anon_send(
    caf::actor_cast<session_actor>(s), text_atom::value,
    std::string{R"({"type":"resume","lastOffsetsByPartition":{"0":"1"}})"});
  f.sched.run_once(); // the session handles the resume, sends its request
  auto early = std::make_shared<std::vector<record_ptr>>();
  for (int64_t o = 3; o < 7; ++o) {
    auto r = std::make_shared<client_record>();
    r->partition = 0;
    r->offset = o;
    r->tenant_id = "acme";
    r->frames = record_frames(0, o, "early");
    early->push_back(r);
  }
  caf::anon_send(caf::actor_cast<session_actor>(s), client_batch{early});
  f.run();
  CHECK(conn->cursor_offsets() == std::vector<int64_t>{2, 3, 4, 5, 6});
  // replay_complete comes before the held live records.
  std::size_t complete_at = 0;
  std::size_t offset5_at = 0;
  for (std::size_t i = 0; i < conn->frames.size(); ++i) {
    const auto& fr = conn->frames[i];
    if (fr.text()) {
      auto j = fr.json();
      if (j["type"] == "replay_complete") {
        complete_at = i;
      } else if (j["type"] == "cursor" && j["offset"] == "5") {
        offset5_at = i;
      }
    }
  }
  CHECK(complete_at < offset5_at);
}

TEST_CASE("a replay over replay.max_total is capped; a second resume "
          "completes the range; live records wait for it") {
  fixture f;
  f.cfg.replay_max_total = 4;
  f.publish(0, 0, 10);
  auto [s, conn] = f.connect();
  f.say(s, R"({"type":"resume","lastOffsetsByPartition":{"0":"0"}})");
  CHECK(conn->cursor_offsets() == range(1, 5));
  auto first = conn->of_type("replay_complete").at(0);
  CHECK(first["capped"] == true);
  CHECK(first["lastOffsetsByPartition"]["0"] == "4");
  f.publish(0, 10, 12); // not sent: the client has not caught up
  CHECK(conn->cursor_offsets().size() == 4);
  f.say(s, R"({"type":"resume","lastOffsetsByPartition":{"0":"4"}})");
  CHECK(conn->of_type("replay_complete").at(1)["capped"] == true);
  f.say(s, R"({"type":"resume","lastOffsetsByPartition":{"0":"8"}})");
  auto last = conn->of_type("replay_complete").at(2);
  CHECK(last["capped"] == false);
  CHECK(conn->cursor_offsets() == range(1, 12));
  f.publish(0, 12, 13);
  CHECK(conn->cursor_offsets() == range(1, 13));
  CHECK(f.probe->replay_capped.Value() == 2);
}

TEST_CASE("a cursor older than the ring gets cursor_stale, then what is "
          "kept") {
  auto one = record_frames(0, 0, "value-0")->size();
  fixture f{(sizeof(client_record) + one + 64) * 4};
  f.publish(0, 0, 10);
  auto [s, conn] = f.connect();
  f.say(s, R"({"type":"resume","lastOffsetsByPartition":{"0":"2"}})");
  auto stale = conn->of_type("cursor_stale");
  REQUIRE(stale.size() == 1);
  CHECK(stale[0]["requested"] == "2");
  auto oldest = std::stoll(stale[0]["oldest"].get<std::string>());
  CHECK(oldest > 3);
  CHECK(conn->cursor_offsets() == range(oldest, 10));
  CHECK(f.probe->replay_stale.Value() == 1);
}

TEST_CASE("cursor_reset answers the latest offsets and live records follow") {
  fixture f;
  f.publish(0, 0, 3);
  f.publish(2, 0, 2);
  auto [s, conn] = f.connect();
  f.say(s, R"({"type":"cursor_reset"})");
  auto reset = conn->of_type("cursor_reset_complete").at(0);
  CHECK(reset["latestOffsetsByPartition"]["0"] == "2");
  CHECK(reset["latestOffsetsByPartition"]["2"] == "1");
  f.publish(0, 3, 4);
  CHECK(conn->cursor_offsets() == std::vector<int64_t>{3});
}

TEST_CASE("a client whose backlog reaches the threshold gets disconnect "
          "{backpressure} and is closed") {
  fixture f;
  f.cfg.slow_threshold = 5;
  auto [s, conn] = f.connect();
  conn->backlog = 4;
  f.publish(0, 0, 20); // a batch larger than the threshold is fine
  CHECK_FALSE(conn->closing);
  conn->backlog = 5;
  f.publish(0, 20, 21);
  REQUIRE(conn->closing);
  CHECK(conn->close_code == 1008);
  CHECK(conn->discarded_queue); // the unsent records: the client resumes
  auto d = conn->of_type("disconnect").at(0);
  CHECK(d["reason"] == "backpressure");
  CHECK(d["threshold"] == 5);
  CHECK(f.probe->slow_disconnects.Value() == 1);
}

TEST_CASE("a client whose queue never empties within the window is "
          "disconnected") {
  fixture f;
  f.cfg.slow_window = std::chrono::seconds{10};
  auto [s, conn] = f.connect();
  conn->backlog = 1;
  f.wait(5);
  CHECK_FALSE(conn->closing);
  f.wait(6);
  CHECK(conn->closing);
  CHECK(conn->of_type("disconnect").size() == 1);
}

TEST_CASE("a resume over the partition limit gets its error, then the "
          "close") {
  fixture f;
  f.cfg.limits.max_partitions = 2;
  auto [s, conn] = f.connect();
  f.say(
    s,
    R"({"type":"resume","lastOffsetsByPartition":{"0":"1","1":"1","2":"1"}})");
  CHECK(conn->of_type("error").at(0)["code"] == "RESUME_TOO_MANY_PARTITIONS");
  CHECK(conn->closing);
  CHECK(conn->close_code == 1008);
}

TEST_CASE("an oversized client message gets CONTROL_FRAME_TOO_LARGE, then "
          "close 1009") {
  fixture f;
  auto [s, conn] = f.connect();
  caf::anon_send(caf::actor_cast<session_actor>(s), too_large_atom::value);
  f.run();
  CHECK(conn->of_type("error").at(0)["code"] == "CONTROL_FRAME_TOO_LARGE");
  CHECK(conn->close_code == 1009);
  CHECK(f.probe->oversized_messages.Value() == 1);
}

TEST_CASE("a killed session is counted and its connection closed with 1011; "
          "the others keep receiving") {
  fixture f;
  auto [victim, vconn] = f.connect();
  auto [other, oconn] = f.connect();
  caf::anon_send_exit(victim, caf::exit_reason::kill);
  f.run();
  CHECK(vconn->closing);
  CHECK(vconn->close_code == 1011);
  f.self->send(f.sup, actors::stats_atom::value);
  f.run();
  f.self->receive([](uint64_t n) { CHECK(n == 1); });
  CHECK(f.probe->session_failures.Value() == 1);
  f.publish(0, 0, 3);
  CHECK(oconn->cursor_offsets() == range(0, 3));
  CHECK(vconn->cursor_offsets().empty());
}

TEST_CASE("a session whose connection closed ends normally, not counted as "
          "a failure") {
  fixture f;
  auto [s, conn] = f.connect();
  caf::anon_send(caf::actor_cast<session_actor>(s), closed_atom::value);
  f.run();
  CHECK(f.probe->session_failures.Value() == 0);
  CHECK(f.probe->sessions.Value() == 0);
}

TEST_CASE("a cursor older than the ring is served from Kafka first, then "
          "from the ring, exactly once") {
  auto one = record_frames(0, 0, "value-0")->size();
  fixture f{(sizeof(client_record) + one + 64) * 4};
  std::vector<cold_query> asked;
  // Kafka has every offset from 0; offset 3 did not decode (DLQ), so the
  // reader skips it as the pipeline did.
  f.cold = f.sys.spawn(cold_reader, [&](const cold_query& q,
                                        const subscription&, std::size_t lim) {
    asked.push_back(q);
    cold_range_result r;
    r.partition = q.partition;
    r.oldest = 0;
    r.last_seen = q.after;
    for (auto o = q.after + 1; o < q.before; ++o) {
      r.last_seen = o;
      if (o == 3) {
        continue;
      }
      if (r.records.size() == lim) {
        r.truncated = true;
        break;
      }
      auto rec = std::make_shared<client_record>();
      rec->partition = q.partition;
      rec->offset = o;
      rec->tenant_id = "acme";
      rec->frames = record_frames(q.partition, o, "cold-" + std::to_string(o));
      r.records.push_back(rec);
    }
    return r;
  });
  f.publish(0, 0, 10);
  auto [s, conn] = f.connect();
  f.say(s, R"({"type":"resume","lastOffsetsByPartition":{"0":"1"}})");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].after == 1);
  auto covered = asked[0].before;
  CHECK(covered > 3);
  CHECK(conn->of_type("cursor_stale").empty());
  std::vector<int64_t> want{2};
  for (int64_t o = 4; o < 10; ++o) {
    want.push_back(o);
  }
  CHECK(conn->cursor_offsets() == want);
  CHECK(conn->of_type("replay_complete").at(0)["capped"] == false);
  CHECK(f.probe->replay_cold_reads.Value() == 1);
  f.publish(0, 10, 11);
  want.push_back(10);
  CHECK(conn->cursor_offsets() == want);
  caf::anon_send_exit(f.cold, caf::exit_reason::user_shutdown);
}

TEST_CASE("cold records count towards replay.max_total; the replay is "
          "capped where they stop") {
  replay_result res;
  for (int64_t o = 8; o < 10; ++o) {
    auto r = std::make_shared<client_record>();
    r->partition = 0;
    r->offset = o;
    res.records.push_back(r);
  }
  res.last_offsets[0] = 9;
  cold_response cold;
  cold_range_result c;
  c.partition = 0;
  c.oldest = 5; // Kafka lost 2..4
  c.last_seen = 7;
  for (int64_t o = 5; o < 8; ++o) {
    auto r = std::make_shared<client_record>();
    r->partition = 0;
    r->offset = o;
    c.records.push_back(r);
  }
  cold.ranges.push_back(c);
  auto capped = res;
  merge_cold(capped, cold, {{0, 1}}, 4);
  CHECK(capped.records.size() == 4);
  CHECK(capped.records.back()->offset == 8);
  CHECK(capped.capped);
  CHECK(capped.last_offsets[0] == 8);
  REQUIRE(capped.stale.size() == 1);
  CHECK(capped.stale[0].oldest == 5);
  auto whole = res;
  merge_cold(whole, cold, {{0, 1}}, 100);
  CHECK(whole.records.size() == 5);
  CHECK_FALSE(whole.capped);
  CHECK(whole.last_offsets[0] == 9);
}
