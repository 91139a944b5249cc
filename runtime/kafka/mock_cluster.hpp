#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace ds::kafka {

/// librdkafka's in-process mock cluster: real Kafka protocol on loopback
/// ports, no JVM. It is the embedded default broker and the fault injector
/// for tests that the real broker cannot give (broker down, request errors).
/// Limits (librdkafka 2.0): no persistence, no transactions; it keeps about
/// 5 MiB per partition (older segments are dropped, so a consumer that
/// falls far behind sees the log start move).
class mock_cluster {
public:
  /// A consumer setting the mock needs: it answers a fetch that finds
  /// nothing new only after the client's fetch.wait.max.ms (500 ms by
  /// default), even when records arrive meanwhile; a real broker answers
  /// as soon as they do. Live records waited for it: e2e p50 262 ms on the
  /// mock against 4.7 ms on the real broker at the same rate, 12 ms with
  /// this (docs/bench/history.md, session 9).
  static constexpr const char* consumer_fetch_wait_max_ms = "10";

  /// Starts `brokers` mock brokers on 127.0.0.1 with ephemeral ports.
  static caf::expected<std::unique_ptr<mock_cluster>> make(int brokers = 1);

  ~mock_cluster();
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  /// "127.0.0.1:PORT[,...]" for bootstrap.servers.
  std::string bootstrap() const;

  caf::error create_topic(const std::string& name, int partitions,
                          int replication = 1);

  /// Takes a broker down (connections refused) or back up: the outage a
  /// circuit breaker must notice.
  caf::error set_broker_down(int broker_id);
  caf::error set_broker_up(int broker_id);

  /// Places a partition's leader, or a consumer group's coordinator, on
  /// one broker: with set_broker_down(), an outage of one topic only.
  caf::error set_partition_leader(const std::string& topic, int32_t partition,
                                  int broker_id);
  caf::error set_group_coordinator(const std::string& group, int broker_id);

  rd_kafka_mock_cluster_t* native() const noexcept { return mcluster_; }

private:
  mock_cluster(rd_kafka_t* host, rd_kafka_mock_cluster_t* mc);

  rd_kafka_t* host_; // the client instance that owns the mock's threads
  rd_kafka_mock_cluster_t* mcluster_;
};

} // namespace ds::kafka
