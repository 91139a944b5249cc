#pragma once

#include <cstdint>
#include <memory>

#include <caf/expected.hpp>

#include "runtime/http/router.hpp"
#include "runtime/http/server_config.hpp"
#include "runtime/metrics/registry.hpp"

namespace ds::http {

/// An embeddable HTTP/1.1 server for the daemon's operator endpoints.
///
/// Owned by the composition root. start() binds and listens synchronously
/// (so bind errors come back as values, and port() is known on return),
/// then runs the server's own io_context on cfg.io_threads threads: never
/// the CAF scheduler, so a slow scrape cannot delay actors and vice versa.
/// Handlers (see router.hpp) run on those threads. stop() (or the
/// destructor) stops accepting, closes idle connections at once, lets
/// responses being written finish, and joins the threads; call it from
/// outside the server's handlers.
class server {
public:
  /// Binds cfg.host:cfg.port and starts serving `routes`. The server's own
  /// metrics (http_probe) go into `registry`.
  /// Errors (ds::http::errc): invalid_config, invalid_host, address_in_use,
  /// bind_failed; the message names the address.
  static caf::expected<std::unique_ptr<server>>
  start(server_config cfg, router routes, const metrics::registry& registry);

  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (the ephemeral one when cfg.port was 0).
  uint16_t port() const noexcept;

  /// Idempotent and thread-safe; returns once the io threads have exited.
  void stop();

private:
  struct impl;
  explicit server(std::unique_ptr<impl> p);

  std::unique_ptr<impl> impl_;
};

} // namespace ds::http
