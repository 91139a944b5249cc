#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/mock_cluster.hpp"

namespace ds::test {

/// True once `group` has committed every partition of `topic` up to its
/// high watermark: nothing left unprocessed, nothing committed early.
inline bool committed_to_end(const kafka::client_config& client,
                             const std::string& group,
                             const std::string& topic) {
  using namespace std::chrono_literals;
  auto marks = kafka::watermarks(client, topic, 10s);
  auto committed = kafka::committed_offsets(client, group, topic, 10s);
  if (!marks || !committed) {
    return false;
  }
  for (const auto& wm : *marks) {
    if ((*committed)[static_cast<std::size_t>(wm.partition)] != wm.high) {
      return false;
    }
  }
  return true;
}

/// A two-broker embedded cluster in which only the DLQ can fail: `topic`
/// and the group coordinator live on broker 1, `topic`-dlq's partitions are
/// led by broker 2. `set_broker_down(2)` is the DLQ outage.
inline std::unique_ptr<kafka::mock_cluster>
dlq_outage_cluster(const std::string& topic, const std::string& group,
                   int32_t partitions = 2, int32_t dlq_partitions = 2) {
  auto mock = kafka::mock_cluster::make(2);
  REQUIRE(mock);
  const auto dlq_topic = topic + "-dlq";
  REQUIRE_FALSE((*mock)->create_topic(topic, partitions));
  REQUIRE_FALSE((*mock)->create_topic(dlq_topic, dlq_partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    REQUIRE_FALSE((*mock)->set_partition_leader(topic, p, 1));
  }
  for (int32_t p = 0; p < dlq_partitions; ++p) {
    REQUIRE_FALSE((*mock)->set_partition_leader(dlq_topic, p, 2));
  }
  REQUIRE_FALSE((*mock)->set_group_coordinator(group, 1));
  return std::move(*mock);
}

} // namespace ds::test
