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

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;

namespace ds::kafka {

struct producer_client_callbacks;

struct record_header {
  std::string name;
  std::string value;
};

/// A header whose bytes live elsewhere (e.g. inside a spooled DLQ record).
struct header_view {
  std::string_view name;
  std::string_view value;
};

/// The outcome of one produced record, reported from poll()/flush().
struct delivery_report {
  /// Caller's token from produce().
  std::uintptr_t token = 0;
  int32_t partition = -1;
  int64_t offset = -1;
  /// Empty on success, errc::delivery_failed otherwise.
  caf::error error;
};

struct producer_settings {
  client_config client;
  /// Contract §2: acks=all, idempotence on, <= 5 in flight, 30 s timeout,
  /// and no Kafka-level compression (framing does it per message).
  int message_timeout_ms = 30000;
  int linger_ms = 5;
  /// How long produce() waits for room when the local queue is full.
  std::chrono::milliseconds queue_full_wait{10000};
  /// Extra librdkafka properties; they override everything above.
  std::map<std::string, std::string> overrides;
  /// When set, librdkafka's statistics JSON is handed here every
  /// stats_interval_ms (from poll()); used for retry counts.
  std::function<void(std::string_view json)> on_stats;
  int stats_interval_ms = 1000;
  /// Topics to look up as soon as the client starts. librdkafka learns a
  /// topic's partitions on its first produce() otherwise, and that first
  /// record then waits up to a second for its periodic topic scan: the DLQ's
  /// first write of a run took 0.9 s on the embedded broker
  /// (docs/bench/history.md, session 7).
  std::vector<std::string> topics;
};

/// A librdkafka producer. produce() is for one thread at a time; delivery
/// reports run on the thread that calls poll() or flush().
class producer_client {
public:
  using delivery_fn = std::function<void(const delivery_report&)>;

  static caf::expected<std::unique_ptr<producer_client>>
  make(const producer_settings& settings, delivery_fn on_delivery);

  ~producer_client();
  producer_client(const producer_client&) = delete;
  producer_client& operator=(const producer_client&) = delete;

  /// Enqueues one record (bytes are copied). Waits up to queue_full_wait,
  /// serving delivery reports meanwhile, while the local queue is full.
  caf::error produce(std::string_view topic, std::string_view key,
                     std::string_view value,
                     std::span<const record_header> headers,
                     std::uintptr_t token, int32_t partition = -1);
  caf::error produce(std::string_view topic, std::string_view key,
                     std::string_view value,
                     std::span<const header_view> headers, std::uintptr_t token,
                     int32_t partition = -1);

  /// Serves delivery reports; returns how many were served.
  int poll(std::chrono::milliseconds timeout);

  /// Waits until every queued record is delivered or failed.
  caf::error flush(std::chrono::milliseconds timeout);

  /// Records queued or in flight.
  int outstanding() const;

  rd_kafka_t* native() const noexcept { return rk_; }

private:
  friend struct producer_client_callbacks;
  struct callbacks {
    delivery_fn on_delivery;
    std::function<void(std::string_view)> on_stats;
  };

  producer_client(rd_kafka_t* rk, std::unique_ptr<callbacks> cbs);

  rd_kafka_t* rk_;
  std::unique_ptr<callbacks> callbacks_;
  std::chrono::milliseconds queue_full_wait_{10000};
  std::string topic_; // the last topic produced to, NUL-terminated
  /// Handles of producer_settings::topics, held for the client's life.
  std::vector<rd_kafka_topic_t*> known_topics_;
};

} // namespace ds::kafka
