#include "runtime/app/memory_plan.hpp"

#include <algorithm>

namespace ds::app {

memory_plan plan_memory(uint64_t budget) {
  memory_plan m{};
  m.held_max = budget / 4;
  m.held_low = budget / 8;
  // librdkafka's defaults (64 MiB queue, 50 MiB fetch) are the ceiling.
  m.prefetch_kbytes = std::clamp<std::size_t>(budget / 8 / 1024, 1, 65536);
  // librdkafka accepts 1..10 000 000.
  m.prefetch_messages = std::clamp<std::size_t>(
    budget / 8 / librdkafka_message_overhead, 1, 10'000'000);
  m.fetch_bytes =
    std::clamp<std::size_t>(budget / 8, 1 << 20, std::size_t{52428800});
  return m;
}

} // namespace ds::app
