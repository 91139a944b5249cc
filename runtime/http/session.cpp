#include "runtime/http/session.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "runtime/http/target.hpp"
#include "runtime/http/ws_session.hpp"

namespace ds::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

namespace {

std::string to_std(beast::string_view sv) {
  return std::string{sv.data(), sv.size()};
}

std::string lower(beast::string_view sv) {
  auto s = to_std(sv);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s;
}

} // namespace

server_state::server_state(server_config config, router table,
                           metrics::registry reg)
  : cfg(std::move(config)), routes(std::move(table)), registry(std::move(reg)),
    probe(registry.get(), routes.metric_labels()),
    limiter(cfg.max_connections_per_ip) {}

session::session(net::ip::tcp::socket socket,
                 std::shared_ptr<server_state> state, std::string remote,
                 std::optional<connection_limiter::slot> slot)
  : stream_(std::move(socket)), st_(std::move(state)),
    remote_(std::move(remote)), slot_(std::move(slot)) {
  st_->probe.connections.Increment();
}

session::~session() {
  st_->probe.connections.Decrement();
  std::lock_guard<std::mutex> guard{st_->sessions_mtx};
  st_->sessions.erase(id_);
}

void session::start() {
  {
    std::lock_guard<std::mutex> guard{st_->sessions_mtx};
    id_ = st_->next_session_id++;
    st_->sessions.emplace(id_, weak_from_this());
  }
  // stop() sets `stopping` before it looks at the table, so a session that
  // registered too late for it still sees the flag here.
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->st_->stopping) {
      self->close_now();
      return;
    }
    self->do_read();
  });
}

void session::stop() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->stop_requested_ = true;
    if (self->phase_ != phase::writing) {
      self->close_now();
    }
  });
}

void session::do_read() {
  phase_ = phase::reading;
  parser_.emplace();
  parser_->header_limit(st_->cfg.max_request_bytes);
  parser_->body_limit(st_->cfg.max_request_bytes);
  stream_.expires_after(st_->cfg.read_timeout);
  bhttp::async_read(
    stream_, buffer_, *parser_,
    beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::on_read(beast::error_code ec, std::size_t) {
  // Counted even if stop() closed us meanwhile: the timer had fired first.
  // Silence on a kept-alive connection is just idle; a request that
  // started and stalled is a slow (or hostile) client.
  if (ec == beast::error::timeout && parser_->got_some()) {
    st_->probe.rejected_read_timeout.Increment();
  }
  if (phase_ == phase::closed) {
    return;
  }
  if (ec) {
    if (ec == beast::error::timeout) {
      close_now();
    } else if (ec == bhttp::error::header_limit ||
               ec == bhttp::error::body_limit ||
               ec == bhttp::error::buffer_overflow) {
      st_->probe.rejected_request_too_large.Increment();
      reject(413, "request_too_large",
             "request header or body exceeds " +
               std::to_string(st_->cfg.max_request_bytes) + " bytes");
    } else if (ec.category() ==
                 bhttp::make_error_code(bhttp::error::bad_target).category() &&
               ec != bhttp::error::end_of_stream &&
               ec != bhttp::error::partial_message) {
      st_->probe.rejected_bad_request.Increment();
      reject(400, "bad_request", "malformed HTTP request");
    } else {
      // end_of_stream (the client closed), partial_message, reset, or
      // operation_aborted from stop().
      close_now();
    }
    return;
  }
  answer(parser_->get());
}

void session::answer(const bhttp::request<bhttp::string_body>& msg) {
  version_ = msg.version();
  request req;
  req.method = to_std(msg.method_string());
  req.target = to_std(msg.target());
  auto [path, query] = split_target(req.target);
  req.path = std::string{path};
  req.query = std::string{query};
  req.remote_address = remote_;
  for (const auto& field : msg) {
    req.headers.emplace_back(lower(field.name_string()), to_std(field.value()));
  }
  req.body = msg.body(); // within max_request_bytes (the parser's limit)
  auto label = st_->routes.metric_label(req.path);
  if (!slot_) {
    st_->probe.rejected_per_ip_limit.Increment();
    auto res = response::error(
      429, "too_many_connections",
      "more than " + std::to_string(st_->cfg.max_connections_per_ip) +
        " concurrent connections from " + remote_);
    res.headers.emplace_back("Retry-After", "1");
    send(std::move(res), label, req.method == "HEAD", false);
    return;
  }
  if (try_upgrade(msg, req, label)) {
    return;
  }
  bool head = req.method == "HEAD";
  send(st_->routes.dispatch(req), label, head,
       msg.keep_alive() && !stop_requested_);
}

// An upgrade request on a WebSocket route: refused with its handler's
// response, or handed to Beast for the handshake and then to a ws_session.
// false: not an upgrade, route it as usual.
bool session::try_upgrade(const bhttp::request<bhttp::string_body>& msg,
                          const request& req, std::string_view label) {
  const auto* ws_route = st_->routes.find_websocket(req.path);
  if (ws_route == nullptr || !beast::websocket::is_upgrade(msg)) {
    return false;
  }
  ws_upgrade decision;
  try {
    decision = (*ws_route)(req);
  } catch (const std::exception& e) {
    decision.refuse = response::error(500, "internal_error", e.what());
  }
  if (decision.refuse || !decision.attach) {
    send(decision.refuse
           ? std::move(*decision.refuse)
           : response::error(500, "internal_error", "no WebSocket session"),
         label, false, false);
    return true;
  }
  phase_ = phase::upgrading;
  using ws_stream = beast::websocket::stream<beast::tcp_stream&>;
  auto ws = std::make_shared<ws_stream>(stream_);
  auto request_copy = std::make_shared<bhttp::request<bhttp::string_body>>(msg);
  stream_.expires_after(st_->cfg.write_timeout);
  ws->async_accept(*request_copy,
                   [self = shared_from_this(), ws, request_copy,
                    label = std::string{label},
                    attach = std::move(decision.attach)](beast::error_code ec) {
                     self->on_upgraded(ec, label, attach);
                   });
  return true;
}

void session::on_upgraded(beast::error_code ec, const std::string& label,
                          const std::function<std::shared_ptr<ws_listener>(
                            std::shared_ptr<ws_connection>)>& attach) {
  if (phase_ == phase::closed) {
    return;
  }
  if (ec) {
    // Beast answered a bad handshake itself (400), or the client left.
    st_->probe.count_request(label, 400);
    close_now();
    return;
  }
  st_->probe.count_request(label, 101);
  stream_.expires_never();
  phase_ = phase::closed; // the socket is the ws_session's from here on
  auto rest = beast::buffers_to_string(buffer_.data());
  auto conn = std::make_shared<ws_session>(
    stream_.release_socket(), st_, remote_, std::move(slot_), std::move(rest));
  std::shared_ptr<ws_listener> listener;
  try {
    listener = attach(conn);
  } catch (const std::exception&) {
    listener = nullptr;
  }
  if (!listener) {
    conn->start(nullptr);
    conn->close(1011, "no session for this connection");
    return;
  }
  conn->start(std::move(listener));
}

void session::reject(unsigned status, std::string_view code,
                     std::string_view message) {
  send(response::error(status, code, message), "other", false, false);
}

void session::send(response res, std::string_view path_label, bool head,
                   bool keep_alive) {
  st_->probe.count_request(path_label, res.status);
  res_ = {};
  res_.version(version_);
  res_.result(res.status);
  res_.set(bhttp::field::content_type, res.content_type);
  res_.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : res.headers) {
    res_.set(name, value);
  }
  res_.keep_alive(keep_alive);
  res_.body() = std::move(res.body);
  res_.prepare_payload();
  if (head) {
    // HEAD: GET's Content-Length, no body.
    res_.body().clear();
  }
  phase_ = phase::writing;
  stream_.expires_after(st_->cfg.write_timeout);
  bhttp::async_write(stream_, res_,
                     beast::bind_front_handler(&session::on_write,
                                               shared_from_this(), keep_alive));
}

void session::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec == beast::error::timeout) {
    st_->probe.rejected_write_timeout.Increment();
  }
  if (phase_ == phase::closed) {
    return;
  }
  if (ec) {
    close_now();
  } else if (stop_requested_ || st_->stopping) {
    close_now();
  } else if (!keep_alive) {
    linger_close();
  } else {
    do_read();
  }
}

// Closing right after an error response while the client is still sending
// (a 413 mid-upload) makes the kernel answer with RST, which can destroy the
// response before the client reads it. So: send FIN, read and discard what
// still arrives until the client closes too, bounded in time and bytes.
void session::linger_close() {
  phase_ = phase::lingering;
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    close_now();
    return;
  }
  drained_ = 0;
  stream_.expires_after(st_->cfg.read_timeout);
  stream_.async_read_some(
    net::buffer(drain_buf_),
    beast::bind_front_handler(&session::on_linger, shared_from_this()));
}

void session::on_linger(beast::error_code ec, std::size_t bytes) {
  if (phase_ == phase::closed) {
    return;
  }
  drained_ += bytes;
  if (ec || drained_ > 4 * std::size_t{st_->cfg.max_request_bytes}) {
    close_now();
    return;
  }
  stream_.async_read_some(
    net::buffer(drain_buf_),
    beast::bind_front_handler(&session::on_linger, shared_from_this()));
}

void session::close_now() {
  if (phase_ == phase::closed) {
    return;
  }
  phase_ = phase::closed;
  // Release the per-IP place before the FIN goes out: a client that has
  // seen this connection close may connect again at once.
  slot_.reset();
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

} // namespace ds::http
