#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include <caf/error.hpp>

#include "proto/headers.hpp"

namespace ds::producer {

/// Checks a tenant id against contract §2: 1-64 chars of [A-Za-z0-9._-].
caf::error validate_tenant_id(std::string_view tenant);

/// A random (version 4, variant 1) UUID as 16 raw bytes.
std::array<uint8_t, 16> uuid_v4(std::mt19937_64& rng);

/// Fills message headers the way every DashStream producer must (§2): one
/// sequence counter per thread_id starting at 1, a fresh UUIDv4 message_id,
/// timestamp_us = now, the tenant, the MessageType of the variant and
/// schema_version 1. Owned by one producer; not thread-safe.
class stamper {
public:
  /// `tenant` must pass validate_tenant_id (checked by make()).
  explicit stamper(std::string tenant, uint64_t seed = std::random_device{}());

  /// Stamps the variant's header for `thread_id`. For an EventBatch the
  /// batch header gets sequence 0 and `thread_id`; each inner event is
  /// stamped with the next sequence of the thread_id its header already
  /// names (or `thread_id` when it names none).
  caf::error stamp(proto::message& msg, std::string_view thread_id);

  /// Burns `n` sequence numbers of a thread without sending them (to inject
  /// gaps with an exact ground truth).
  void skip(std::string_view thread_id, uint64_t n = 1);

  /// The sequence the next message of `thread_id` will get.
  uint64_t peek(std::string_view thread_id) const;

  const std::string& tenant() const noexcept { return tenant_; }

  /// Number of thread ids with a sequence counter.
  std::size_t threads() const noexcept { return next_.size(); }

private:
  void fill(proto::header& h, std::string_view thread_id, uint64_t seq,
            dashstream::v1::MessageType type, int64_t now_us);
  uint64_t take(std::string_view thread_id);

  std::string tenant_;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, uint64_t> next_;
};

} // namespace ds::producer
