#include "runtime/kafka/mock_cluster.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "runtime/kafka/errc.hpp"

namespace ds::kafka {

caf::expected<std::unique_ptr<mock_cluster>> mock_cluster::make(int brokers) {
  if (brokers < 1) {
    return make_error(errc::mock_failed, "need at least one broker");
  }
  char errstr[512];
  auto* conf = rd_kafka_conf_new();
  // The host handle never connects anywhere; it only owns the mock.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  auto* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (host == nullptr) {
    rd_kafka_conf_destroy(conf);
    return make_error(errc::client_create_failed, errstr);
  }
  auto* mc = rd_kafka_mock_cluster_new(host, brokers);
  if (mc == nullptr) {
    rd_kafka_destroy(host);
    return make_error(errc::mock_failed, "rd_kafka_mock_cluster_new failed");
  }
  return std::unique_ptr<mock_cluster>{new mock_cluster(host, mc)};
}

mock_cluster::mock_cluster(rd_kafka_t* host, rd_kafka_mock_cluster_t* mc)
  : host_(host), mcluster_(mc) {}

mock_cluster::~mock_cluster() {
  rd_kafka_mock_cluster_destroy(mcluster_);
  rd_kafka_destroy(host_);
}

std::string mock_cluster::bootstrap() const {
  return rd_kafka_mock_cluster_bootstraps(mcluster_);
}

caf::error mock_cluster::create_topic(const std::string& name, int partitions,
                                      int replication) {
  auto err = rd_kafka_mock_topic_create(mcluster_, name.c_str(), partitions,
                                        replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::mock_failed,
                      "create topic " + name + ": " + rd_kafka_err2str(err));
  }
  return {};
}

caf::error mock_cluster::set_broker_down(int broker_id) {
  auto err = rd_kafka_mock_broker_set_down(mcluster_, broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::mock_failed, rd_kafka_err2str(err));
  }
  return {};
}

caf::error mock_cluster::set_partition_leader(const std::string& topic,
                                              int32_t partition,
                                              int broker_id) {
  auto err = rd_kafka_mock_partition_set_leader(mcluster_, topic.c_str(),
                                                partition, broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::mock_failed, rd_kafka_err2str(err));
  }
  return {};
}

caf::error mock_cluster::set_group_coordinator(const std::string& group,
                                               int broker_id) {
  auto err =
    rd_kafka_mock_coordinator_set(mcluster_, "group", group.c_str(), broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::mock_failed, rd_kafka_err2str(err));
  }
  return {};
}

caf::error mock_cluster::set_broker_up(int broker_id) {
  auto err = rd_kafka_mock_broker_set_up(mcluster_, broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::mock_failed, rd_kafka_err2str(err));
  }
  return {};
}

} // namespace ds::kafka
