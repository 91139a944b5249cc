#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/http/websocket.hpp"

namespace ds::http {

/// Settings of one HTTP server (contract §5.1, §5.4 defaults). The daemon
/// maps config::http_settings onto this.
struct server_config {
  /// An IP address literal (IPv4 or IPv6) or "localhost". Names are not
  /// resolved: a bind address should not depend on DNS.
  std::string host = "127.0.0.1";
  /// 0 = an ephemeral port; server::port() tells which one was bound.
  uint16_t port = 0;
  /// Concurrent connections from one IP; the next one gets HTTP 429.
  uint32_t max_connections_per_ip = 10;
  /// Limit on the request header, and separately on its body; beyond it the
  /// request is answered with 413 and the connection closed.
  uint32_t max_request_bytes = 64 * 1024;
  /// Time a client has to send a whole request (also the idle limit of a
  /// kept-alive connection); a slower client is dropped without a reply.
  std::chrono::milliseconds read_timeout{5000};
  /// Time a client has to take a whole response before it is dropped.
  std::chrono::milliseconds write_timeout{5000};
  /// Threads running the server's own io_context (never the CAF scheduler).
  uint32_t io_threads = 1;
  /// Every upgraded WebSocket connection's limits.
  ws_limits ws;
};

} // namespace ds::http
