#pragma once

#include <cstddef>
#include <cstdint>

namespace ds::app {

/// What librdkafka 2.0 keeps per prefetched message besides its key and
/// value, which are all that queued.max.messages.kbytes counts: 289-325 B
/// measured (bench/prefetch_cost: RSS growth per queued message at 138 B,
/// 612 B and 1035 B of key and value; docs/tuning.md).
inline constexpr std::size_t librdkafka_message_overhead = 320;

/// How pipeline.memory_budget_bytes is spent. Only records in flight grow
/// with the producers' rate, so those are what the budget bounds:
/// - a quarter for records held between poll and commit, rejected ones with
///   their DLQ records until the DLQ has them (dlq_record::held_bytes; the
///   consumer pauses partitions at that mark);
/// - a quarter for librdkafka's prefetch queue: half for the records' bytes,
///   half for librdkafka's own cost per message;
/// - an eighth for one fetch response;
/// - the rest for what does not scale with traffic (threads, validator
///   tables, HTTP).
/// The split is measured in tests/runtime/app/daemon_process_test.cpp.
struct memory_plan {
  std::size_t held_max;
  std::size_t held_low;
  /// queued.max.messages.kbytes
  std::size_t prefetch_kbytes;
  /// queued.min.messages. librdkafka 2.0 stops fetching for a whole second
  /// (rd_kafka_max_block_ms; fetch.queue.backoff.ms only came in 2.2) once
  /// its queue holds this many messages or prefetch_kbytes. Its default,
  /// 100 000, is reached long before the bytes with small records: the
  /// pipeline sat idle for most of that second (docs/benchmarks.md,
  /// session 9), so the count is sized from memory, like the bytes.
  std::size_t prefetch_messages;
  /// fetch.max.bytes
  std::size_t fetch_bytes;
};

memory_plan plan_memory(uint64_t budget);

} // namespace ds::app
