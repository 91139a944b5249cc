#include "app/memory_plan.hpp"

#include "config/daemon_config.hpp"
#include "config/schema.hpp"

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

TEST_CASE("the memory plan's shares fit the budget once the fixed cost is "
          "off") {
  for (uint64_t mib : {96, 128, 512, 1024, 2048}) {
    auto budget = mib << 20;
    CAPTURE(mib);
    auto m = plan_memory(budget);
    CHECK(m.variable == budget - process_fixed_bytes);
    CHECK(m.held_low < m.held_max);
    CHECK(prefetch_bound(m) <= m.variable / 4);
    // A quarter of what varies stays for the allocator's slack.
    CHECK(m.held_max + prefetch_bound(m) + m.fetch_bytes +
            m.allocator_kept_max <=
          m.variable / 4 * 3);
    CHECK(m.allocator_kept_max == m.variable / 8);
  }
}

TEST_CASE("the smallest budget config accepts is twice the fixed cost") {
  const auto* s = ds::config::find_setting("pipeline.memory_budget_bytes");
  REQUIRE(s != nullptr);
  CHECK(static_cast<std::size_t>(s->min) == memory_budget_min);
  CHECK(memory_budget_min == 2 * process_fixed_bytes);
}

TEST_CASE("the prefetch count limit grows with the budget instead of "
          "librdkafka's fixed 100 000") {
  // At the default budget the prefetch holds most of a second of 100 B
  // records at this machine's rate (~1.2 M/s): librdkafka's one-second
  // fetch backoff no longer idles the pipeline (docs/tuning.md).
  auto budget = ds::config::pipeline_settings{}.memory_budget_bytes;
  CHECK(budget == (2ull << 30));
  auto m = plan_memory(budget);
  const std::size_t eighth = ((2ull << 30) - process_fixed_bytes) / 8;
  CHECK(m.prefetch_messages == eighth / librdkafka_message_overhead);
  CHECK(m.prefetch_messages > 800'000);
  CHECK(m.prefetch_kbytes == eighth / 1024);
  // Both limits follow what varies: half of it, half of each.
  auto half = plan_memory(budget / 2 + process_fixed_bytes / 2);
  CHECK(half.prefetch_messages == m.prefetch_messages / 2);
  CHECK(half.prefetch_kbytes == m.prefetch_kbytes / 2);
  // A small budget admits fewer than librdkafka's default.
  CHECK(plan_memory(128ull << 20).prefetch_messages < 100'000);
}

TEST_CASE("the prefetch limits stay inside librdkafka's ranges at the edges") {
  // Below the smallest budget config accepts (a caller that skipped it):
  // still values librdkafka takes.
  auto tiny = plan_memory(1ull << 20);
  CHECK(tiny.variable == 0);
  CHECK(tiny.held_low < tiny.held_max);
  CHECK(tiny.prefetch_messages >= 1);
  CHECK(tiny.prefetch_kbytes >= 1);
  CHECK(tiny.fetch_bytes == (1u << 20));
  auto huge = plan_memory(1ull << 40); // the largest
  CHECK(huge.prefetch_messages == 10'000'000);
  CHECK(huge.prefetch_kbytes == 2097151);
  CHECK(huge.fetch_bytes == 52428800);
}

TEST_CASE("the replay ring gets replay.ring_bytes, at most an eighth of what "
          "the budget leaves after the fixed cost") {
  auto roomy = plan_memory(2ull << 30, 64ull << 20);
  CHECK(roomy.ring_bytes == 64ull << 20);
  auto tight = plan_memory(128ull << 20, 64ull << 20);
  CHECK(tight.ring_bytes == ((128ull << 20) - process_fixed_bytes) / 8);
  CHECK(plan_memory(128ull << 20).ring_bytes == 0);
}

TEST_CASE("WebSocket client queues get a sixteenth of what the budget leaves "
          "after the fixed cost, at least 1 MiB") {
  CHECK(plan_memory(2ull << 30).client_queue_bytes ==
        ((2ull << 30) - process_fixed_bytes) / 16);
  CHECK(plan_memory(128ull << 20).client_queue_bytes ==
        ((128ull << 20) - process_fixed_bytes) / 16);
  CHECK(plan_memory(process_fixed_bytes).client_queue_bytes == 1u << 20);
  // Everything the plan hands out fits in what the budget leaves.
  auto m = plan_memory(128ull << 20, 64ull << 20);
  CHECK(m.held_max + m.prefetch_kbytes * 1024 * 2 + m.fetch_bytes +
          m.allocator_kept_max + m.ring_bytes + m.client_queue_bytes <=
        m.variable);
}
