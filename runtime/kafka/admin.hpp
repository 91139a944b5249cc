#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/kafka/client_config.hpp"

namespace ds::kafka {

struct partition_watermarks {
  int32_t partition = 0;
  int64_t low = 0;  // first retained offset
  int64_t high = 0; // next offset to be written
};

/// Connects to the cluster as a client with `cfg` would and asks for its
/// metadata, for at most `timeout`. Fails with errc::authentication_failed
/// when the cluster refuses the SASL credentials, errc::tls_failed when the
/// TLS handshake fails, errc::timed_out when no broker answered at all.
/// librdkafka by itself only reports such failures and keeps retrying.
caf::error check_access(const client_config& cfg,
                        std::chrono::milliseconds timeout);

/// Creates a topic; "already exists" with the same name is success.
caf::error create_topic(const client_config& cfg, const std::string& topic,
                        int partitions, int replication_factor,
                        std::chrono::milliseconds timeout);

/// Whether the cluster has `topic`, from a metadata request for all topics
/// (asking for the one topic could make a broker auto-create it).
caf::expected<bool> topic_exists(const client_config& cfg,
                                 const std::string& topic,
                                 std::chrono::milliseconds timeout);

/// Number of partitions of `topic`, from a metadata request.
caf::expected<int> partition_count(const client_config& cfg,
                                   const std::string& topic,
                                   std::chrono::milliseconds timeout);

/// Low/high watermarks of every partition of `topic`.
caf::expected<std::vector<partition_watermarks>>
watermarks(const client_config& cfg, const std::string& topic,
           std::chrono::milliseconds timeout);

/// The offsets `group` has committed for every partition of `topic`
/// (-1 where nothing is committed).
caf::expected<std::vector<int64_t>>
committed_offsets(const client_config& cfg, const std::string& group,
                  const std::string& topic, std::chrono::milliseconds timeout);

} // namespace ds::kafka
