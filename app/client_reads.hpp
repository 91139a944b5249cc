#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "clients/cold_reader.hpp"
#include "clients/mirror.hpp"
#include "proto/codec.hpp"
#include "runtime/kafka/client_config.hpp"
#include "runtime/kafka/topic_reader.hpp"

namespace ds::app {

/// What the client half reads of Kafka itself (resumes older than the
/// ring, partitions other daemons validate), and how to find and filter
/// records as the pipeline does.
struct client_read_settings {
  kafka::client_config client;
  std::string topic;
  proto::decode_options decode;
  /// kafka.tenant_id: other tenants' records were never forwarded.
  std::string tenant_filter;
  std::chrono::milliseconds timeout{30'000};
};

/// A Kafka record as clients get it, or null when the pipeline does not
/// forward it: it does not decode (it went to the DLQ) or belongs to a
/// tenant kafka.tenant_id leaves out. `scratch` is reused between calls.
clients::record_ptr client_record_of(const kafka::consumed_record& r,
                                     const client_read_settings& s,
                                     proto::message& scratch);

/// Reads a resume's range from Kafka (librdkafka, no group, no commits),
/// the records the subscription sees.
clients::cold_read_fn kafka_cold_reads(client_read_settings s);

/// The partitions this daemon's group member holds: the record source
/// keeps it (kafka_record_source), the mirror reads the rest.
class local_assignment {
public:
  void assigned(std::span<const int32_t> parts);
  void revoked(std::span<const int32_t> parts);
  /// The member left or its consumer ended: nothing is validated here.
  void left();
  /// nullopt before the first assignment.
  std::optional<std::set<int32_t>> get() const;

private:
  mutable std::mutex mtx_;
  bool known_ = false;
  std::set<int32_t> parts_;
};

/// The mirror's source over librdkafka without a group: the topic's
/// partitions not in `local`, decoded and encoded as the pipeline forwards
/// them. The Kafka client is made on the first assign.
class kafka_mirror_source final : public clients::mirror_source {
public:
  kafka_mirror_source(client_read_settings s,
                      std::shared_ptr<const local_assignment> local);

  std::optional<std::vector<int32_t>> remote_partitions() override;
  caf::error assign(const std::map<int32_t, int64_t>& from) override;
  caf::expected<batch> poll(std::size_t max,
                            std::chrono::milliseconds timeout) override;

private:
  client_read_settings s_;
  std::shared_ptr<const local_assignment> local_;
  int partitions_ = 0;
  std::set<int32_t> last_local_;
  std::unique_ptr<kafka::tail_reader> reader_;
  proto::message scratch_;
};

} // namespace ds::app
