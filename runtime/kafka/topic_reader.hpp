#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/client_config.hpp"
#include "runtime/kafka/producer_client.hpp"

namespace ds::kafka {

struct consumed_record {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  bool has_key = false;
  std::string key;
  std::string value;
  std::vector<record_header> headers;
};

/// Reads every partition of `topic` from its low watermark up to the high
/// watermark seen at the start (a snapshot), without a consumer group or
/// commits. For tests, the `dlq inspect` tool and the bench's raw floor.
/// `fn` returns false to stop early.
caf::error
for_each_record(const client_config& cfg, const std::string& topic,
                const std::function<bool(const consumed_record&)>& fn,
                std::chrono::milliseconds timeout);

/// Reads offsets [from, end) of one partition (end < 0: up to the high
/// watermark seen at the start; both clamped to what Kafka retains), the
/// same way. Returns the partition's watermarks: `low` above `from` means
/// Kafka no longer has the records in between. For resumes older than
/// what the WebSocket replay ring keeps.
caf::expected<partition_watermarks>
read_partition(const client_config& cfg, const std::string& topic,
               int32_t partition, int64_t from, int64_t end,
               const std::function<bool(const consumed_record&)>& fn,
               std::chrono::milliseconds timeout);

/// Convenience: the whole snapshot in memory, in per-partition order.
caf::expected<std::vector<consumed_record>>
read_topic(const client_config& cfg, const std::string& topic,
           std::chrono::milliseconds timeout);

} // namespace ds::kafka
