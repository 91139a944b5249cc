#include "clients/websocket_route.hpp"

#include <variant>

#include <caf/send.hpp>

#include "clients/tenant_limit.hpp"
#include "runtime/auth/errc.hpp"

namespace ds::clients {

namespace {

// The connection's events, as messages to its session (they arrive on the
// HTTP server's io thread, which must never wait for an actor).
class session_bridge final : public http::ws_listener {
public:
  session_bridge(session_actor s, std::shared_ptr<tenant_limit::lease> place)
    : session_(std::move(s)), place_(std::move(place)) {}

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
  // The tenant's place, held while the connection is open.
  std::shared_ptr<tenant_limit::lease> place_;
};

// The subscription a request's token grants, or the 401 that refuses it.
std::variant<subscription, http::response> authorize(const http::request& req,
                                                     const route_options& a,
                                                     clients_probe& probe) {
  if (!a.keys) {
    return subscription{}; // auth.mode = none
  }
  auto id =
    a.keys->identify(req.header("authorization"), req.query_param("token"));
  if (!id) {
    auto why = auth::to_errc(id.error());
    probe.auth_rejected(why);
    return http::response::bearer_refused(auth::to_string(why));
  }
  if (id->admin) {
    return subscription{};
  }
  return subscription{id->tenant};
}

} // namespace

http::ws_handler websocket_route(caf::actor_system& sys,
                                 const std::shared_ptr<client_handles>& handles,
                                 session_config cfg,
                                 const std::shared_ptr<clients_probe>& probe,
                                 const route_options& opts) {
  auto limit = std::make_shared<tenant_limit>(opts.max_connections_per_tenant);
  return [&sys, handles, cfg, probe, opts, limit](const http::request& req) {
    http::ws_upgrade up;
    auto granted = authorize(req, opts, *probe);
    if (auto* refused = std::get_if<http::response>(&granted)) {
      up.refuse = std::move(*refused);
      return up;
    }
    auto sub = std::get<subscription>(granted);
    auto fanout = handles->fanout.get();
    auto sessions = handles->sessions.get();
    auto cold = handles->cold.get();
    if (!fanout || !sessions) {
      up.refuse = http::response::error(
        503, "restarting", "the client sessions are restarting; retry");
      up.refuse->headers.emplace_back("Retry-After", "1");
      return up;
    }
    auto place = limit->try_acquire(sub.tenant.value_or(""));
    if (!place) {
      probe->tenant_limit_rejections.Increment();
      up.refuse = http::response::error(
        429, "too_many_connections",
        "more than " + std::to_string(opts.max_connections_per_tenant) +
          " connections of this tenant");
      up.refuse->headers.emplace_back("Retry-After", "1");
      return up;
    }
    auto held = std::make_shared<tenant_limit::lease>(std::move(*place));
    up.attach = [&sys, fanout, cold, sessions, sub, cfg, probe,
                 held](std::shared_ptr<http::ws_connection> conn)
      -> std::shared_ptr<http::ws_listener> {
      auto s = sys.spawn(client_session, std::move(conn), sub, fanout, cold,
                         sessions, cfg, probe);
      return std::make_shared<session_bridge>(caf::actor_cast<session_actor>(s),
                                              held);
    };
    return up;
  };
}

} // namespace ds::clients
