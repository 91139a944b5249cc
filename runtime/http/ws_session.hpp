#pragma once

// Internal to ds_http, like session.hpp.

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/http/session.hpp"
#include "runtime/http/websocket.hpp"

namespace ds::http {

/// One upgraded WebSocket connection on a plain socket (Beast did the
/// handshake). Writes are gather writes of everything queued, bounded by
/// the send timeout; reads go through ws_frame_parser. Every member below
/// the mutex is touched only on the socket's strand.
class ws_session final : public ws_connection,
                         public connection_base,
                         public std::enable_shared_from_this<ws_session> {
public:
  ws_session(boost::asio::ip::tcp::socket socket,
             std::shared_ptr<server_state> state, std::string remote,
             std::optional<connection_limiter::slot> slot,
             std::string already_read);
  ~ws_session() override;

  /// Starts reading; `listener` gets the events.
  void start(std::shared_ptr<ws_listener> listener);

  bool send(std::span<const ws_bytes> items) override;
  using ws_connection::send;
  void close(uint16_t code, std::string_view reason) override;
  bool send_and_close(const ws_bytes& last, uint16_t code,
                      std::string_view reason, bool discard_queued) override;
  ws_queue_stats queued() const override;
  const std::string& remote_address() const override { return remote_; }

  /// Server shutdown: close with 1001 (going away).
  void stop() override;

private:
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void handle_input();
  void begin_close(uint16_t code, std::string_view reason, ws_close_reason why);
  void schedule_pump();
  void pump();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void finish(ws_close_reason why);
  /// With mu_ held: an item joins or leaves this queue (queued_bytes_,
  /// queued_items_, and the server's total of distinct bytes).
  void hold(const ws_bytes& item);
  void release(const ws_bytes& item);
  bool over_budget(std::span<const ws_bytes> items, std::size_t bytes) const;

  boost::asio::ip::tcp::socket sock_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<server_state> st_;
  std::string remote_;
  std::optional<connection_limiter::slot> slot_;
  uint64_t id_ = 0;

  mutable std::mutex mu_;
  std::vector<ws_bytes> queue_;
  std::size_t queued_bytes_ = 0; // queue_ and the write in flight
  std::size_t queued_items_ = 0;
  bool pump_posted_ = false;
  bool closing_ = false; // no more send()
  ws_bytes close_frame_; // written after the queue
  ws_close_reason why_ = ws_close_reason::server_closed;

  // -- strand only --------------------------------------------------------
  std::shared_ptr<ws_listener> listener_;
  ws_frame_parser parser_;
  std::string input_;
  std::array<char, 16384> read_buf_{};
  std::vector<ws_bytes> inflight_;
  std::size_t inflight_bytes_ = 0;
  bool writing_ = false;
  bool close_sent_ = false;
  bool discard_input_ = false;
  bool finished_ = false;
};

} // namespace ds::http
