#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "dlq/envelope.hpp"
#include "dlq/store_port.hpp"

namespace ds::app {

/// The records most recently handed to the DLQ, for the UI's DLQ view
/// (`GET /api/dlq`) without a Kafka read on the HTTP thread. It shares the
/// records the DLQ writer built (no copy) and keeps the newest whose
/// held_bytes() fit in `max_bytes` (`dlq.recent_bytes`; 0 keeps none).
class recent_dlq {
public:
  explicit recent_dlq(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  /// Called by the DLQ writer with each batch it submits.
  void add(std::span<const dlq::submission> batch);

  /// {"capacity_bytes", "records": [envelope...]}, newest first, at most
  /// `limit`. `tenant` set: only that tenant's envelopes (tenant_id equal).
  /// An envelope's embedded payload (original_payload_base64) is left out:
  /// the view shows the envelope; `dashstream dlq inspect` shows payloads.
  std::string json(std::size_t limit,
                   const std::optional<std::string>& tenant) const;

  std::size_t held_bytes() const;

private:
  std::size_t max_bytes_;
  mutable std::mutex mtx_;
  std::deque<std::shared_ptr<const dlq::dlq_record>> records_;
  std::size_t bytes_ = 0;
};

} // namespace ds::app
