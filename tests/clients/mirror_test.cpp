#include "clients/mirror.hpp"

#include <caf/send.hpp>
#include <catch2/catch.hpp>

#include "clients/fanout.hpp"
#include "clients/protocol.hpp"
#include "tests/clients/validated_batch.hpp"
#include "tests/support/caf_fixture.hpp"

using namespace ds;
using namespace ds::clients;
using ds::test::range;

namespace {

record_ptr record(int32_t partition, int64_t offset) {
  auto r = std::make_shared<client_record>();
  r->partition = partition;
  r->offset = offset;
  r->tenant_id = "acme";
  r->thread_id = "t";
  r->frames = record_frames(partition, offset, "v" + std::to_string(offset));
  return r;
}

// Scripted: what is remote, what each poll returns; records every assign.
struct fake_source final : mirror_source {
  std::optional<std::vector<int32_t>> remote;
  std::vector<std::map<int32_t, int64_t>> assigns;
  std::vector<batch> polls;

  std::optional<std::vector<int32_t>> remote_partitions() override {
    return remote;
  }
  caf::error assign(const std::map<int32_t, int64_t>& from) override {
    assigns.push_back(from);
    return {};
  }
  caf::expected<batch> poll(std::size_t, std::chrono::milliseconds) override {
    if (polls.empty()) {
      return batch{};
    }
    auto b = std::move(polls.front());
    polls.erase(polls.begin());
    return b;
  }
};

mirror_source::batch batch_of(int32_t p, int64_t from, int64_t to) {
  mirror_source::batch b;
  for (auto o = from; o < to; ++o) {
    b.records.push_back(record(p, o));
  }
  b.last[p] = to - 1;
  return b;
}

struct fixture : test::caf_fixture {
  std::shared_ptr<clients_probe> probe =
    std::make_shared<clients_probe>(registry);
  std::shared_ptr<fake_source> source = std::make_shared<fake_source>();
  fanout_actor fan =
    sys.spawn(fanout, fanout_config{}, probe, actors::egress_actor{});
  mirror_actor mir;

  ~fixture() {
    caf::anon_send_exit(mir, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(fan, caf::exit_reason::user_shutdown);
    run();
  }

  void start() {
    mirror_config mc;
    mc.poll_interval = std::chrono::milliseconds(100);
    mir = sys.spawn(mirror, mc, source, fan, probe);
    step();
  }

  void step() { run(); }

  // As the egress delivers a validated batch.
  void publish(int32_t p, int64_t from, int64_t to) {
    auto b = test::validated_batch_of(p, from, to);
    caf::anon_send(fan, actors::validated_batch_ref{b});
    step();
  }

  // The ring's records of `p`, as a resume from the start gets them.
  std::vector<int64_t> ring_offsets(int32_t p) {
    replay_query q;
    q.after[p] = -1;
    q.all_partitions = false;
    std::vector<int64_t> out;
    auto answer = self->request(fan, caf::infinite, replay_atom::value, q);
    step(); // the fan-out runs only when the test coordinator says so
    answer.receive(
      [&](const replay_result& r) {
        for (const auto& rec : r.records) {
          out.push_back(rec->offset);
        }
      },
      [](const caf::error&) { FAIL("no replay"); });
    return out;
  }
};

} // namespace

TEST_CASE("a mirror starts where reading continues, else after the ring, "
          "else from the end") {
  auto from = mirror_starts({1, 2, 3}, {{1, 40}, {2, mirror_source::from_end}},
                            {{1, 10}, {2, 7}});
  CHECK(from == std::map<int32_t, int64_t>{
                  {1, 40}, {2, 8}, {3, mirror_source::from_end}});
  // The ring ahead of where reading stopped: the ring's is the later.
  CHECK(mirror_starts({1}, {{1, 5}}, {{1, 9}}) ==
        std::map<int32_t, int64_t>{{1, 10}});
}

TEST_CASE("the mirror waits for the group's assignment before reading") {
  fixture f;
  f.source->remote = std::nullopt;
  f.start();
  f.advance(std::chrono::seconds(1));
  f.step();
  CHECK(f.source->assigns.empty());
}

TEST_CASE("mirrored records join the egress's in the ring: each offset "
          "once, in order, whichever path brings it first") {
  fixture f;
  f.publish(1, 0, 5); // validated here while partition 1 was local
  f.source->remote = std::vector<int32_t>{1, 2};
  f.source->polls.push_back(batch_of(1, 3, 8)); // 3 and 4 overlap
  f.source->polls.push_back(batch_of(2, 0, 2));
  f.start();
  REQUIRE(f.source->assigns.size() == 1);
  CHECK(f.source->assigns[0] ==
        std::map<int32_t, int64_t>{{1, 5}, {2, mirror_source::from_end}});
  CHECK(f.ring_offsets(1) == range(0, 8));
  CHECK(f.ring_offsets(2) == range(0, 2));
  CHECK(f.probe->mirrored_partitions.Value() == 2);
  CHECK(f.probe->mirrored_records.Value() == 7);

  // Partition 1 moves here again: the mirror reads only 2, from where it
  // stopped; the egress's records the mirror already brought are skipped.
  f.source->remote = std::vector<int32_t>{2};
  f.advance(std::chrono::milliseconds(100));
  f.step();
  REQUIRE(f.source->assigns.size() == 2);
  CHECK(f.source->assigns[1] == std::map<int32_t, int64_t>{{2, 2}});
  f.publish(1, 6, 10);
  CHECK(f.ring_offsets(1) == range(0, 10));
  CHECK(f.probe->mirrored_partitions.Value() == 1);
}
