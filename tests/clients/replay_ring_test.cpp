#include "clients/replay_ring.hpp"

#include <catch2/catch.hpp>

#include "clients/protocol.hpp"

using namespace ds::clients;

namespace {

record_ptr rec(int32_t p, int64_t off, std::string tenant = "acme",
               std::size_t value_bytes = 100) {
  auto r = std::make_shared<client_record>();
  r->partition = p;
  r->offset = off;
  r->tenant_id = std::move(tenant);
  r->thread_id = "t";
  r->frames = record_frames(p, off, std::string(value_bytes, 'v'));
  return r;
}

std::vector<int64_t> offsets(const std::vector<record_ptr>& v) {
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (const auto& r : v) {
    out.push_back(r->offset);
  }
  return out;
}

} // namespace

TEST_CASE("the ring keeps the newest records within its bytes, evicting "
          "the oldest of all partitions first") {
  auto three = rec(0, 10)->bytes() + rec(1, 5)->bytes() + rec(0, 12)->bytes();
  replay_ring ring{three};
  ring.push(rec(0, 10));
  ring.push(rec(1, 5));
  ring.push(rec(0, 12)); // offsets have holes: 11 went to the DLQ
  CHECK(ring.records() == 3);
  ring.push(rec(1, 6));
  CHECK(ring.records() == 3);
  CHECK(ring.evicted() == 1);
  CHECK(ring.bytes() <= three);
  // Partition 0 lost offset 10: it is covered from 11 on.
  CHECK(ring.partition(0)->covered_from == 11);
  CHECK(ring.partition(0)->latest == 12);
  CHECK(ring.partition(1)->covered_from == 5);
  CHECK_FALSE(ring.partition(7));
}

TEST_CASE("collect returns the records after an offset, for one tenant, up "
          "to a limit") {
  replay_ring ring{1u << 20};
  for (int64_t o = 0; o < 10; ++o) {
    ring.push(rec(0, o, o % 2 == 0 ? "acme" : "globex"));
  }
  ring.push(rec(0, 5)); // a redelivery: ignored
  CHECK(ring.records() == 10);
  std::vector<record_ptr> out;
  int64_t last = -1;
  CHECK(ring.collect(0, 3, subscription{}, 100, out, last) == 6);
  CHECK(offsets(out) == std::vector<int64_t>{4, 5, 6, 7, 8, 9});
  CHECK(last == 9);
  out.clear();
  CHECK(ring.collect(0, -1, subscription{"acme"}, 3, out, last) == 3);
  CHECK(offsets(out) == std::vector<int64_t>{0, 2, 4});
  CHECK(last == 4);
  out.clear();
  CHECK(ring.collect(0, 9, subscription{}, 100, out, last) == 0);
}
