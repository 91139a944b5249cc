#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/kafka/client_config.hpp"
#include "runtime/kafka/producer_client.hpp"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;

namespace ds::kafka {

/// One consumed record. Key and value point into librdkafka's buffer,
/// which lives as long as the record: readers, validators and (later)
/// client sessions share it through record_ptr without copying.
class record {
public:
  explicit record(rd_kafka_message_t* msg);
  ~record();
  record(const record&) = delete;
  record& operator=(const record&) = delete;

  int32_t partition() const noexcept { return partition_; }
  int64_t offset() const noexcept { return offset_; }
  int64_t timestamp_ms() const noexcept { return timestamp_ms_; }
  std::string_view key() const noexcept { return key_; }
  std::string_view value() const noexcept { return value_; }
  bool has_key() const noexcept { return has_key_; }
  /// Copies the record headers out (not on the hot path).
  std::vector<record_header> headers() const;

private:
  rd_kafka_message_t* msg_;
  int32_t partition_;
  int64_t offset_;
  int64_t timestamp_ms_;
  bool has_key_;
  std::string_view key_;
  std::string_view value_;
};

using record_ptr = std::shared_ptr<const record>;

struct consumer_settings {
  client_config client;
  std::string group_id = "dashstream";
  std::string topic = "dashstream-quality";
  std::string auto_offset_reset = "earliest";
  int session_timeout_ms = 45000;
  /// Extra librdkafka properties; they override everything above.
  std::map<std::string, std::string> overrides;
};

/// What happened during one poll besides records.
struct consumer_events {
  /// Partitions newly assigned (cooperative: incremental).
  std::vector<int32_t> assigned;
  /// The group handed this member its assignment, even an empty one (more
  /// members than partitions): the member now knows what it holds.
  bool assignment_received = false;
  /// Partitions being revoked; the callback handed to poll() must have
  /// drained and committed them before poll() returns.
  std::vector<int32_t> revoked;
  /// True when revoked partitions were *lost* (session timeout): their
  /// offsets can no longer be committed.
  bool lost = false;
  /// Infrastructure errors (broker down, transport, metadata): what the
  /// circuit breaker counts. Never bad records.
  std::vector<caf::error> infra_errors;
  /// A broker answered (fetch, metadata, heartbeat): what closes the
  /// breaker. An idle topic still produces these (contract §8.12).
  bool broker_reachable = false;
};

/// A consumer-group member (cooperative-sticky assignment) over librdkafka.
/// Not thread-safe: one owner thread calls everything. Offsets are never
/// committed automatically: the owner stores an offset only when every
/// earlier record of the partition is processed, then commits.
class group_consumer {
public:
  /// Called from inside poll() when partitions are being revoked, before
  /// they are unassigned: drain, store their final offsets, return.
  using revoke_fn = std::function<void(std::span<const int32_t>, bool lost)>;

  static caf::expected<std::unique_ptr<group_consumer>>
  make(const consumer_settings& settings);

  ~group_consumer();
  group_consumer(const group_consumer&) = delete;
  group_consumer& operator=(const group_consumer&) = delete;

  /// Fetches up to `max` records (waiting up to `timeout` for the first),
  /// serving rebalances (`on_revoke` runs synchronously for revocations).
  std::vector<record_ptr> poll(std::size_t max,
                               std::chrono::milliseconds timeout,
                               consumer_events& events,
                               const revoke_fn& on_revoke);

  caf::error pause(std::span<const int32_t> partitions);
  caf::error resume(std::span<const int32_t> partitions);

  /// Marks `next_offset` (the offset after the last processed record) as
  /// the position to commit for `partition`.
  caf::error store_offset(int32_t partition, int64_t next_offset);

  /// Commits stored offsets; synchronous when `wait` (revocation, shutdown).
  caf::error commit(bool wait);

  /// Cached low/high watermarks of a partition (no network round trip;
  /// refreshed by fetches and by librdkafka's statistics).
  std::pair<int64_t, int64_t> cached_watermarks(int32_t partition) const;

  /// Low/high watermarks asked of the partition leader (a round trip,
  /// waiting at most `timeout`); {-1, -1} when it does not answer in time.
  std::pair<int64_t, int64_t>
  query_watermarks(int32_t partition, std::chrono::milliseconds timeout) const;

  /// Leaves the group cleanly (revokes everything through `on_revoke`).
  caf::error close(const revoke_fn& on_revoke);

  const std::string& topic() const noexcept { return topic_; }
  rd_kafka_t* native() const noexcept { return rk_; }

private:
  struct callbacks;
  group_consumer(rd_kafka_t* rk, std::string topic,
                 std::unique_ptr<callbacks> cbs);

  rd_kafka_t* rk_;
  std::string topic_;
  std::unique_ptr<callbacks> callbacks_;
};

/// True for librdkafka error codes that mean "the cluster is not
/// reachable or not answering", as opposed to a problem with one record.
bool is_infrastructure_error(int rd_kafka_resp_err);

} // namespace ds::kafka
