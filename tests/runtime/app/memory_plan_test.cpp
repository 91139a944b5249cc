#include "runtime/app/memory_plan.hpp"

#include <catch2/catch.hpp>

using namespace ds::app;

namespace {

// What the plan lets librdkafka's prefetch queue occupy at most: its byte
// limit (which counts only keys and values) plus its own cost for as many
// messages as the count limit admits.
std::size_t prefetch_bound(const memory_plan& m) {
  return m.prefetch_kbytes * 1024 +
         m.prefetch_messages * librdkafka_message_overhead;
}

} // namespace

TEST_CASE("the memory plan's shares fit the budget") {
  for (uint64_t mib : {1, 16, 128, 512, 1024, 2048}) {
    auto budget = mib << 20;
    CAPTURE(mib);
    auto m = plan_memory(budget);
    CHECK(m.held_low < m.held_max);
    CHECK(prefetch_bound(m) <= budget / 4);
    // At least 3/8 stay for what does not grow with traffic, once the
    // fetch response's 1 MiB floor (room for one large message) fits.
    if (mib >= 8) {
      CHECK(m.held_max + prefetch_bound(m) + m.fetch_bytes <= budget / 8 * 5);
    }
  }
}

TEST_CASE("the prefetch count limit grows with the budget instead of "
          "librdkafka's fixed 100 000") {
  // At the default budget small records are limited by memory, not by a
  // count they reach within a fraction of a second.
  auto m = plan_memory(512ull << 20);
  CHECK(m.prefetch_messages == (64ull << 20) / librdkafka_message_overhead);
  CHECK(m.prefetch_messages > 100'000);
  CHECK(m.prefetch_kbytes == 65536);
  // A small budget admits fewer than the default.
  CHECK(plan_memory(128ull << 20).prefetch_messages < 100'000);
}

TEST_CASE("the prefetch limits stay inside librdkafka's ranges at the edges") {
  auto tiny = plan_memory(1ull << 20); // the smallest budget config accepts
  CHECK(tiny.prefetch_messages >= 1);
  CHECK(tiny.prefetch_kbytes >= 1);
  CHECK(tiny.fetch_bytes == (1u << 20));
  auto huge = plan_memory(1ull << 40); // the largest
  CHECK(huge.prefetch_messages == 10'000'000);
  CHECK(huge.prefetch_kbytes == 65536);
  CHECK(huge.fetch_bytes == 52428800);
}
