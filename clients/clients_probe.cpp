#include "clients/clients_probe.hpp"

#include <string>

namespace ds::clients {

namespace {

prometheus::Counter& counter(prometheus::Registry& reg, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
}

prometheus::Gauge& gauge(prometheus::Registry& reg, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add({});
}

} // namespace

clients_probe::clients_probe(prometheus::Registry& reg)
  : records_sent(counter(reg, "dashstream_websocket_records_sent_total",
                         "Records queued to WebSocket clients (one per record "
                         "per client)")),
    bytes_sent(counter(reg, "dashstream_websocket_bytes_sent_total",
                       "Frame bytes queued to WebSocket clients")),
    slow_disconnects(
      counter(reg, "dashstream_websocket_slow_client_disconnects_total",
              "Clients disconnected for backpressure (contract 5.4)")),
    invalid_messages(
      counter(reg, "dashstream_websocket_invalid_messages_total",
              "Client messages that were not valid protocol JSON")),
    oversized_messages(
      counter(reg, "dashstream_websocket_oversized_messages_total",
              "Client messages over the size limit (connection closed)")),
    session_failures(
      counter(reg, "dashstream_websocket_session_failures_total",
              "Client sessions that crashed or were killed (closed, never "
              "restarted)")),
    sessions(gauge(reg, "dashstream_websocket_sessions",
                   "Connected WebSocket client sessions")),
    replays(counter(reg, "dashstream_websocket_replays_total",
                    "Resume requests served")),
    replayed_records(counter(reg, "dashstream_websocket_replayed_records_total",
                             "Records sent by resume replays")),
    replay_stale(counter(reg, "dashstream_websocket_replay_stale_total",
                         "Resume cursors older than what is retained")),
    replay_capped(counter(reg, "dashstream_websocket_replay_capped_total",
                          "Replays that stopped at replay.max_total")),
    replay_cold_reads(
      counter(reg, "dashstream_websocket_replay_cold_reads_total",
              "Partition ranges of resumes read from Kafka because the "
              "replay ring no longer keeps them")),
    tenant_limit_rejections(counter(
      reg, "dashstream_websocket_tenant_limit_rejections_total",
      "WebSocket upgrades refused with 429: the tenant's connections at "
      "http.ws_max_connections_per_tenant")),
    ring_bytes(gauge(reg, "dashstream_websocket_ring_bytes",
                     "Bytes held by the replay ring")),
    ring_records(gauge(reg, "dashstream_websocket_ring_records",
                       "Records held by the replay ring")),
    mirrored_records(
      counter(reg, "dashstream_websocket_mirrored_records_total",
              "Records of partitions other daemons of the group validate, "
              "read for this daemon's clients")),
    mirrored_partitions(
      gauge(reg, "dashstream_websocket_mirrored_partitions",
            "Partitions read for this daemon's clients because another "
            "daemon of the group validates them")),
    mirror_errors(
      counter(reg, "dashstream_websocket_mirror_errors_total",
              "Failed reads of the partitions other daemons validate")) {
  auto& family = prometheus::BuildCounter()
                   .Name("dashstream_websocket_auth_rejections_total")
                   .Help("WebSocket upgrades refused for their token (401), "
                         "by reason")
                   .Register(reg);
  for (auto why : {auth::errc::missing_token, auth::errc::malformed,
                   auth::errc::bad_signature, auth::errc::expired,
                   auth::errc::not_yet_valid, auth::errc::wrong_algorithm,
                   auth::errc::unknown_key, auth::errc::missing_tenant}) {
    auth_rejections_[why] =
      &family.Add({{"reason", std::string{auth::to_string(why)}}});
  }
}

void clients_probe::auth_rejected(auth::errc why) {
  if (auto it = auth_rejections_.find(why); it != auth_rejections_.end()) {
    it->second->Increment();
  }
}

} // namespace ds::clients
