#pragma once

// Internal to ds_http: included by server.cpp and session.cpp only, so the
// public headers stay free of Beast.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>

#include "runtime/http/connection_limiter.hpp"
#include "runtime/http/http_probe.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/server_config.hpp"
#include "runtime/http/websocket.hpp"
#include "runtime/metrics/registry.hpp"

namespace ds::http {

/// What server::stop() closes: an HTTP session or an upgraded WebSocket.
class connection_base {
public:
  virtual ~connection_base() = default;
  /// Thread-safe; see each implementation.
  virtual void stop() = 0;
};

/// What every session of one server shares. Sessions hold it by shared_ptr,
/// so it outlives the last of them however the io_context winds down.
struct server_state {
  server_state(server_config config, router table, metrics::registry reg);

  server_config cfg;
  router routes;
  metrics::registry registry; // keeps the probe's registry alive
  http_probe probe;
  connection_limiter limiter;
  /// Set once by server::stop(); sessions then finish what they are
  /// writing and close instead of reading the next request.
  std::atomic<bool> stopping{false};
  /// Every WebSocket connection's queued bytes, and the open connections:
  /// the total bound (ws_limits::total_queue_max_bytes) and its share.
  std::atomic<std::size_t> ws_queued_bytes{0};
  std::atomic<std::size_t> ws_open{0};

  std::mutex sessions_mtx;
  uint64_t next_session_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<connection_base>> sessions;
};

/// One HTTP/1.1 connection: read a request, answer it, repeat while the
/// client keeps the connection alive. Runs on its own strand of the
/// server's io_context; every member is touched only there.
///
/// Lifecycle: the acceptor creates it (with a connection_limiter slot, or
/// without one when the client's IP is over its limit: that request is then
/// answered 429) and calls start(); pending async operations own it through
/// shared_from_this(); it dies when the last one completes after close.
///
/// WebSocket: an upgrade request on a websocket route is decided by its
/// ws_handler (refused with its response, or accepted); Beast answers the
/// handshake, then the socket, what was already read, and the per-IP slot
/// move to a ws_session.
class session final : public connection_base,
                      public std::enable_shared_from_this<session> {
public:
  session(boost::asio::ip::tcp::socket socket,
          std::shared_ptr<server_state> state, std::string remote,
          std::optional<connection_limiter::slot> slot);
  ~session() override;

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start();

  /// Thread-safe. Closes at once when waiting for a request; a response
  /// being written is finished first (bounded by write_timeout).
  void stop() override;

private:
  enum class phase : uint8_t { reading, writing, lingering, upgrading, closed };

  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void answer(
    const boost::beast::http::request<boost::beast::http::string_body>& req);
  void send(response res, std::string_view path_label, bool head,
            bool keep_alive);
  void reject(unsigned status, std::string_view code, std::string_view message);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t);
  void linger_close();
  void on_linger(boost::beast::error_code ec, std::size_t bytes);
  void close_now();
  bool try_upgrade(
    const boost::beast::http::request<boost::beast::http::string_body>& msg,
    const request& req, std::string_view label);
  void on_upgraded(boost::beast::error_code ec, const std::string& label,
                   const std::function<std::shared_ptr<ws_listener>(
                     std::shared_ptr<ws_connection>)>& attach);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<
    boost::beast::http::request_parser<boost::beast::http::string_body>>
    parser_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  std::shared_ptr<server_state> st_;
  std::string remote_;
  std::optional<connection_limiter::slot> slot_;
  uint64_t id_ = 0;
  unsigned version_ = 11; // of the request being answered
  phase phase_ = phase::reading;
  bool stop_requested_ = false;
  std::size_t drained_ = 0;
  std::array<char, 4096> drain_buf_{};
};

} // namespace ds::http
