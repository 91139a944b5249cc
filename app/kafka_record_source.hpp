#pragma once

#include <memory>

#include "actors/record_source.hpp"
#include "app/client_reads.hpp"
#include "runtime/kafka/group_consumer.hpp"

namespace ds::app {

/// Adapts the librdkafka group member to the consumer actor's interface.
/// Each poll's records are copied out of librdkafka, one buffer per run of
/// a partition's records, and the librdkafka messages are released at once
/// (kafka_record_source.cpp says why).
class kafka_record_source final : public actors::record_source {
public:
  /// `local` (may be null) follows this member's assignment.
  kafka_record_source(std::unique_ptr<kafka::group_consumer> gc,
                      std::shared_ptr<local_assignment> local);
  ~kafka_record_source() override;
  kafka_record_source(const kafka_record_source&) = delete;
  kafka_record_source& operator=(const kafka_record_source&) = delete;

  poll_result poll(std::size_t max, std::chrono::milliseconds timeout,
                   const revoke_fn& on_revoke) override;
  caf::error pause(std::span<const int32_t> partitions) override;
  caf::error resume(std::span<const int32_t> partitions) override;
  caf::error store_offset(int32_t partition, int64_t next_offset) override;
  caf::error commit(bool wait) override;
  std::pair<int64_t, int64_t> watermarks(int32_t partition) override;
  std::pair<int64_t, int64_t>
  current_watermarks(int32_t partition,
                     std::chrono::milliseconds timeout) override;
  caf::error close(const revoke_fn& on_revoke) override;

private:
  std::unique_ptr<kafka::group_consumer> gc_;
  std::shared_ptr<local_assignment> local_;
};

} // namespace ds::app
