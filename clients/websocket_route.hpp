#pragma once

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/handle_directory.hpp"
#include "clients/clients_probe.hpp"
#include "clients/fwd.hpp"
#include "clients/session.hpp"
#include "runtime/http/websocket.hpp"

namespace ds::clients {

/// Where the WebSocket route finds the client half's actors: their current
/// handles, kept by their supervisor's on_start callbacks.
struct client_handles {
  actors::current_handle<fanout_actor> fanout;
  actors::current_handle<cold_reader_actor> cold;
  actors::current_handle<client_supervisor_actor> sessions;
};

/// The handler of `GET /ws`: decides the upgrade (503 while the client
/// actors restart), then spawns one client session per connection and
/// bridges the connection's events to it.
http::ws_handler websocket_route(caf::actor_system& sys,
                                 std::shared_ptr<client_handles> handles,
                                 session_config cfg,
                                 std::shared_ptr<clients_probe> probe);

} // namespace ds::clients
