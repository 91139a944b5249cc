#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/client_config.hpp"
#include "runtime/kafka/producer_client.hpp"

typedef struct rd_kafka_s rd_kafka_t;

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

/// Follows chosen partitions from chosen offsets without joining a consumer
/// group and without ever committing: what the WebSocket fan-out reads of
/// the partitions another daemon of the group validates. Not thread-safe;
/// one owner.
class tail_reader {
public:
  /// Offset meaning "from the end": only records produced from now on.
  static constexpr int64_t from_end = -1;

  static caf::expected<std::unique_ptr<tail_reader>>
  make(const client_config& cfg, std::string topic);

  ~tail_reader();
  tail_reader(const tail_reader&) = delete;
  tail_reader& operator=(const tail_reader&) = delete;

  /// Replaces what is read: partition -> first offset (or from_end, the
  /// high watermark asked for now, waiting at most `timeout`).
  caf::error assign(const std::map<int32_t, int64_t>& from,
                    std::chrono::milliseconds timeout);

  /// Up to `max` records of the assigned partitions, waiting at most
  /// `timeout` for the first.
  caf::expected<std::vector<consumed_record>>
  poll(std::size_t max, std::chrono::milliseconds timeout);

private:
  tail_reader(rd_kafka_t* rk, std::string topic);
  rd_kafka_t* rk_;
  std::string topic_;
};

/// Convenience: the whole snapshot in memory, in per-partition order.
caf::expected<std::vector<consumed_record>>
read_topic(const client_config& cfg, const std::string& topic,
           std::chrono::milliseconds timeout);

} // namespace ds::kafka
