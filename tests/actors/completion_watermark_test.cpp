#include <catch2/catch.hpp>

#include <vector>

#include "actors/completion_watermark.hpp"

using ds::actors::completion_watermark;

TEST_CASE("nothing is committed before the first record completes") {
  completion_watermark w;
  w.track(10);
  CHECK_FALSE(w.commit_offset());
  CHECK(w.in_flight() == 1);
}

TEST_CASE("the commit offset never passes an unfinished record") {
  completion_watermark w;
  for (int64_t off : {10, 11, 12, 13}) {
    w.track(off);
  }
  CHECK(w.complete(12));
  CHECK(w.complete(13));
  CHECK_FALSE(w.commit_offset()); // 10 and 11 still open
  CHECK(w.complete(10));
  CHECK(w.commit_offset() == 11);
  CHECK(w.complete(11));
  CHECK(w.commit_offset() == 14); // next offset to read
  CHECK(w.in_flight() == 0);
}

TEST_CASE("offsets may be sparse and completions are idempotent") {
  completion_watermark w;
  w.track(5);
  w.track(9); // 6..8 were compacted away or control records
  CHECK(w.complete(9));
  CHECK_FALSE(w.complete(9)); // a redelivery completing twice
  CHECK_FALSE(w.complete(7)); // never tracked
  CHECK(w.complete(5));
  CHECK(w.commit_offset() == 10);
}

TEST_CASE("unfinished offsets are listed in order for redelivery") {
  completion_watermark w;
  for (int64_t off = 0; off < 6; ++off) {
    w.track(off);
  }
  w.complete(1);
  w.complete(4);
  std::vector<int64_t> open;
  w.for_each_unfinished([&](int64_t off) { open.push_back(off); });
  CHECK(open == std::vector<int64_t>{0, 2, 3, 5});
}
