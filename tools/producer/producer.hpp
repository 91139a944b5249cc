#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <prometheus/registry.h>

#include "proto/codec.hpp"
#include "runtime/kafka/producer_client.hpp"
#include "tools/producer/producer_probe.hpp"
#include "tools/producer/rate_limiter.hpp"
#include "tools/producer/stamper.hpp"

namespace ds::producer {

struct producer_config {
  kafka::producer_settings kafka;
  std::string topic = "dashstream-quality";
  std::string tenant_id = "default";
  /// Framing: zstd level 3 above 512 B, 1 MiB cap (contract §1.2-1.3).
  proto::encode_options encode;
  rate_limit_config rate_limit;
};

/// W3C trace context for the record headers (contract §1.4).
struct trace_context {
  std::string traceparent;
  std::string tracestate;
};

/// Per-send options; all optional.
struct send_options {
  /// Tenant for this message; empty means the configured tenant_id. Each
  /// tenant has its own sequence counters and rate-limit bucket.
  std::string_view tenant;
  const trace_context* trace = nullptr;
  /// Comes back in the delivery report.
  std::uintptr_t token = 0;
};

/// What send() did with one message.
struct send_receipt {
  /// The thread_id the record is keyed by.
  std::string key;
  /// The top header's sequence (0 for a batch).
  uint64_t sequence = 0;
  /// Framed value size in bytes.
  std::size_t framed_bytes = 0;
  bool compressed = false;
};

/// The DashStream producer: stamps headers (sequences from 1 per thread,
/// UUIDv4 ids, timestamps, tenant), frames with the codec, keys by
/// thread_id, adds trace headers, and sends with idempotent librdkafka
/// settings. Single-threaded: call send()/poll() from one thread; delivery
/// reports arrive on it.
class producer {
public:
  using delivery_fn = std::function<void(const kafka::delivery_report&)>;

  /// Fails on an invalid tenant id or a Kafka configuration error.
  static caf::expected<std::unique_ptr<producer>>
  make(producer_config cfg, prometheus::Registry& registry,
       delivery_fn on_delivery = {});

  /// Stamps, encodes and enqueues `msg` for `thread_id`. `msg` is modified
  /// (header filled, compression marked). Fails on an invalid tenant, an
  /// empty thread id, the rate limit, the size cap or a full queue.
  caf::expected<send_receipt> send(proto::message& msg,
                                   std::string_view thread_id,
                                   const send_options& opts = {});

  /// The per-tenant rate limit alone, counted like send() counts it: what a
  /// sender of pre-built records (send_raw) asks before each one. Fails with
  /// errc::rate_limited past the limit; always succeeds when it is off.
  caf::error admit(std::string_view tenant);

  /// Enqueues bytes as they are (no stamping, no framing): for replays and
  /// fault injection. Counts like send(), but applies no rate limit.
  caf::error send_raw(std::string_view key, std::string_view value,
                      std::span<const kafka::record_header> headers = {},
                      std::uintptr_t token = 0);

  int poll(std::chrono::milliseconds timeout);
  caf::error flush(std::chrono::milliseconds timeout);
  int outstanding() const;

  /// The stamper of `tenant` (empty: the configured one); fails on an
  /// invalid tenant id. Use it to burn sequences (gap injection) or peek.
  caf::expected<stamper*> stamps(std::string_view tenant = {});
  const producer_config& config() const noexcept { return cfg_; }

private:
  producer(producer_config cfg, prometheus::Registry& registry);
  void on_delivery(const kafka::delivery_report& rep);
  void on_stats(std::string_view json);

  producer_config cfg_;
  producer_probe probe_;
  std::unordered_map<std::string, stamper> stampers_; // by tenant
  rate_limiter limiter_;
  delivery_fn user_delivery_;
  std::unique_ptr<kafka::producer_client> client_;
  std::string scratch_; // reused framing buffer
  double retries_seen_ = 0;
  // Records enqueued but not yet reported, by internal token: the probe
  // counts bytes only once Kafka acknowledges, and the caller's token is
  // handed back in its delivery report.
  struct inflight {
    std::size_t bytes;
    bool compressed;
    std::uintptr_t user_token;
  };
  std::unordered_map<std::uintptr_t, inflight> inflight_;
  std::uintptr_t next_token_ = 1;
};

} // namespace ds::producer
