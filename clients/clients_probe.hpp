#pragma once

#include <map>
#include <string_view>

#include "runtime/auth/errc.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace ds::clients {

/// The client half's metrics (contract §6's WebSocket families, in our
/// names; docs/metrics.md). Resolved once; every series exists from the
/// start, so alerts on increase() see the first event.
class clients_probe {
public:
  explicit clients_probe(prometheus::Registry& reg);

  /// Records queued to clients (one per record per client), and their bytes.
  prometheus::Counter& records_sent;
  prometheus::Counter& bytes_sent;
  /// Clients disconnected with `disconnect{backpressure}`.
  prometheus::Counter& slow_disconnects;
  /// Client messages that were not JSON objects or had bad fields.
  prometheus::Counter& invalid_messages;
  /// Client messages over the size limit.
  prometheus::Counter& oversized_messages;
  /// Sessions that ended other than by their connection closing (a crash,
  /// a kill): each closed with 1011.
  prometheus::Counter& session_failures;
  /// Connected client sessions.
  prometheus::Gauge& sessions;

  /// Resumes served, records replayed, stale cursors, capped replays.
  prometheus::Counter& replays;
  prometheus::Counter& replayed_records;
  prometheus::Counter& replay_stale;
  prometheus::Counter& replay_capped;
  /// Partition ranges of resumes read from Kafka (older than the ring).
  prometheus::Counter& replay_cold_reads;

  /// Upgrades refused with 429: the tenant's connections at their limit.
  prometheus::Counter& tenant_limit_rejections;

  /// An upgrade refused for its token (401), by auth::errc label.
  void auth_rejected(auth::errc why);

  /// The replay ring.
  prometheus::Gauge& ring_bytes;
  prometheus::Gauge& ring_records;

  /// The mirror (partitions other daemons of the group validate): records
  /// it read that clients may see, the partitions it reads, its failed
  /// assigns and polls.
  prometheus::Counter& mirrored_records;
  prometheus::Gauge& mirrored_partitions;
  prometheus::Counter& mirror_errors;

private:
  // Every refusal reason, created up front.
  std::map<auth::errc, prometheus::Counter*> auth_rejections_;
};

} // namespace ds::clients
