#include "app/memory_plan.hpp"

#include <algorithm>

namespace ds::app {

memory_plan plan_memory(uint64_t budget, uint64_t ring_max) {
  memory_plan m{};
  m.variable = budget > process_fixed_bytes
                 ? static_cast<std::size_t>(budget) - process_fixed_bytes
                 : 0;
  m.held_max = std::max<std::size_t>(m.variable / 4, 2);
  m.held_low = m.held_max / 2;
  // Within what librdkafka accepts. The prefetch grows with the budget
  // past librdkafka's defaults: it is what keeps the pipeline fed through
  // librdkafka's one-second fetch backoff.
  m.prefetch_kbytes =
    std::clamp<std::size_t>(m.variable / 8 / 1024, 1, 2097151);
  m.prefetch_messages = std::clamp<std::size_t>(
    m.variable / 8 / librdkafka_message_overhead, 1, 10'000'000);
  // librdkafka's default (50 MiB) is the ceiling of one response; 1 MiB
  // the floor, room for one large message.
  m.fetch_bytes =
    std::clamp<std::size_t>(m.variable / 8, 1 << 20, std::size_t{52428800});
  m.allocator_kept_max = std::max<std::size_t>(m.variable / 8, 1 << 20);
  m.ring_bytes =
    std::min<std::size_t>(static_cast<std::size_t>(ring_max), m.variable / 8);
  m.client_queue_bytes = std::max<std::size_t>(m.variable / 16, 1 << 20);
  return m;
}

} // namespace ds::app
