#pragma once

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/handle_directory.hpp"
#include "clients/clients_probe.hpp"
#include "clients/fwd.hpp"
#include "clients/session.hpp"
#include "runtime/auth/verifier.hpp"
#include "runtime/http/websocket.hpp"

namespace ds::clients {

/// Where the WebSocket route finds the client half's actors: their current
/// handles, kept by their supervisor's on_start callbacks.
struct client_handles {
  actors::current_handle<fanout_actor> fanout;
  actors::current_handle<cold_reader_actor> cold;
  actors::current_handle<client_supervisor_actor> sessions;
};

/// Who may connect: with `keys`, a token is required and its tenant
/// decides what the client sees; without, every client sees every tenant
/// (auth.mode = none). Past `max_connections_per_tenant` open connections
/// of one tenant, an upgrade gets 429.
struct route_options {
  std::shared_ptr<auth::key_store> keys;
  uint32_t max_connections_per_tenant = 1000;
};

/// The handler of `GET /ws`: decides the upgrade (401 for a refused token,
/// counted by reason; 503 while the client actors restart), then spawns
/// one client session per connection and bridges the connection's events
/// to it. No token content is ever logged.
http::ws_handler websocket_route(caf::actor_system& sys,
                                 const std::shared_ptr<client_handles>& handles,
                                 session_config cfg,
                                 const std::shared_ptr<clients_probe>& probe,
                                 const route_options& opts);

} // namespace ds::clients
