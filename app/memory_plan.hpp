#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ds::app {

/// What librdkafka 2.0 keeps per prefetched message besides its key and
/// value, which are all that queued.max.messages.kbytes counts: 289-325 B
/// measured (bench/prefetch_cost: RSS growth per queued message at 138 B,
/// 612 B and 1035 B of key and value; docs/tuning.md).
inline constexpr std::size_t librdkafka_message_overhead = 320;

/// What the process holds whatever the traffic: mapped code and libraries,
/// thread stacks, the actor system, HTTP, the DLQ producer and spool, the
/// readers of an assignment. Measured as the peak RSS of an idle daemon
/// with its partitions assigned (daemon_process_test checks that it stays
/// below this), with room for the validators' thread tables.
inline constexpr std::size_t process_fixed_bytes = std::size_t{48} << 20;

/// The smallest pipeline.memory_budget_bytes: the fixed cost and as much
/// again for records.
inline constexpr std::size_t memory_budget_min = 2 * process_fixed_bytes;

/// How pipeline.memory_budget_bytes is spent. The fixed cost comes off
/// first; of what remains, the part that grows with the producers' rate:
/// - a quarter for records held between poll and commit, rejected ones with
///   their DLQ records until the DLQ has them (dlq_record::held_bytes; the
///   consumer pauses partitions at that mark);
/// - a quarter for librdkafka's prefetch queue: half for the records' bytes,
///   half for librdkafka's own cost per message;
/// - an eighth for one fetch response;
/// - an eighth for freed pages the allocator keeps (allocator_governor
///   hands them back past that);
/// - up to an eighth for the WebSocket replay ring (replay.ring_bytes, if
///   smaller: with the default 2 GiB budget it is the whole 64 MiB);
/// - a sixteenth for what WebSocket clients' queues hold (frames counted
///   once however many queues share them); past it the laggards go;
/// - the rest (1/16 to 3/16) for what the allocator cannot hand back at all:
///   partly used slabs and thread caches, which grow with the churn of
///   records.
/// docs/tuning.md explains the accounting; daemon_process_test measures it
/// at the edge.
struct memory_plan {
  /// What the budget leaves once the fixed cost is off.
  std::size_t variable;
  std::size_t held_max;
  std::size_t held_low;
  /// queued.max.messages.kbytes
  std::size_t prefetch_kbytes;
  /// queued.min.messages. librdkafka 2.0 stops fetching for a whole second
  /// (rd_kafka_max_block_ms; fetch.queue.backoff.ms only came in 2.2) once
  /// its queue holds this many messages or prefetch_kbytes. Its default,
  /// 100 000, is reached long before the bytes with small records: the
  /// pipeline sat idle for most of that second (docs/bench/history.md,
  /// session 9), so the count is sized from memory, like the bytes.
  std::size_t prefetch_messages;
  /// fetch.max.bytes
  std::size_t fetch_bytes;
  /// Free pages the allocator may keep before they are handed back.
  std::size_t allocator_kept_max;
  /// The replay ring's bound: replay.ring_bytes, at most an eighth.
  std::size_t ring_bytes;
  /// All WebSocket client queues together (http::ws_limits).
  std::size_t client_queue_bytes;
};

/// How often allocator_governor looks at the allocator's free pages: a
/// burst of records cannot leave much more than the cap behind between two
/// looks.
inline constexpr std::chrono::milliseconds allocator_check_interval{10};

memory_plan plan_memory(uint64_t budget, uint64_t ring_max = 0);

} // namespace ds::app
