#include "clients/websocket_route.hpp"

#include <caf/send.hpp>

namespace ds::clients {

namespace {

// The connection's events, as messages to its session (they arrive on the
// HTTP server's io thread, which must never wait for an actor).
class session_bridge final : public http::ws_listener {
public:
  explicit session_bridge(session_actor s) : session_(std::move(s)) {}

  void on_text(std::string message) override {
    caf::anon_send(session_, text_atom::value, std::move(message));
  }
  void on_too_large(std::size_t) override {
    caf::anon_send(session_, too_large_atom::value);
  }
  void on_closed(http::ws_close_reason) override {
    caf::anon_send(session_, closed_atom::value);
  }

private:
  session_actor session_;
};

} // namespace

http::ws_handler websocket_route(caf::actor_system& sys,
                                 std::shared_ptr<client_handles> handles,
                                 session_config cfg,
                                 std::shared_ptr<clients_probe> probe) {
  return [&sys, handles, cfg, probe](const http::request&) {
    http::ws_upgrade up;
    auto fanout = handles->fanout.get();
    auto sessions = handles->sessions.get();
    auto cold = handles->cold.get();
    if (!fanout || !sessions) {
      up.refuse = http::response::error(
        503, "restarting", "the client sessions are restarting; retry");
      up.refuse->headers.emplace_back("Retry-After", "1");
      return up;
    }
    // auth.mode = none: every client sees every tenant.
    subscription sub;
    up.attach = [&sys, fanout, cold, sessions, sub, cfg,
                 probe](std::shared_ptr<http::ws_connection> conn)
      -> std::shared_ptr<http::ws_listener> {
      auto s = sys.spawn(client_session, std::move(conn), sub, fanout, cold,
                         sessions, cfg, probe);
      return std::make_shared<session_bridge>(
        caf::actor_cast<session_actor>(s));
    };
    return up;
  };
}

} // namespace ds::clients
