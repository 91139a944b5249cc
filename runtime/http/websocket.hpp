#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/http/request.hpp"
#include "runtime/http/response.hpp"

namespace ds::http {

/// WebSocket opcodes (RFC 6455 §5.2).
enum class ws_opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// One or more server frames, encoded (unmasked, RFC 6455 §5.2) back to
/// back. Server frames carry no mask, so their bytes are the same for every
/// client: built once, shared by every connection that sends them.
/// `holders` counts the connection queues holding them, so the server
/// counts their bytes once however many clients queue them.
struct ws_frames : std::string {
  mutable std::atomic<uint32_t> holders{0};
};
using ws_bytes = std::shared_ptr<const ws_frames>;

/// Appends one final (FIN) unmasked frame to `out`.
void append_ws_frame(std::string& out, ws_opcode op, std::string_view payload);

/// `payload` as one encoded frame.
ws_bytes make_ws_frame(ws_opcode op, std::string_view payload);

/// Parses what a client sends: masked frames, fragmented messages
/// reassembled, control frames interleaved (RFC 6455 §5.4, §5.5). No
/// extension is ever negotiated, so any RSV bit is an error.
class ws_frame_parser {
public:
  /// A message (all its fragments) longer than `max_message_bytes` is
  /// refused from its frame header, before its payload is buffered.
  explicit ws_frame_parser(std::size_t max_message_bytes);

  struct event {
    enum class kind : uint8_t {
      /// `in` holds no complete frame yet.
      need_more,
      /// A whole text or binary message, or a control frame.
      message,
      /// The message would exceed max_message_bytes.
      too_large,
      /// Not a valid client frame; `detail` says why (close code 1002).
      protocol_error,
    };
    kind what = kind::need_more;
    ws_opcode op = ws_opcode::text;
    std::string payload;
    std::string detail;
  };

  /// The next event from `in` (bytes received and not yet parsed); what it
  /// parsed is erased from the front of `in`. After too_large or
  /// protocol_error the connection must be closed.
  event next(std::string& in);

  std::size_t max_message_bytes() const noexcept { return max_; }

private:
  std::size_t max_;
  bool in_message_ = false;
  ws_opcode message_op_ = ws_opcode::text;
  std::string message_;
};

/// Why a connection ended.
enum class ws_close_reason : uint8_t {
  /// The client sent a close frame or closed its socket.
  client_closed,
  /// close() was called (the server's side ended it).
  server_closed,
  /// A write did not complete within the send timeout.
  send_timeout,
  /// The client's message exceeded the size limit.
  too_large,
  /// The client broke the protocol.
  protocol_error,
  /// A socket error.
  io_error,
  /// The server is stopping.
  shutdown,
};

std::string_view to_string(ws_close_reason r) noexcept;

/// What a connection tells the code that owns its protocol. Called on the
/// server's io thread: quick, never blocking (forward to an actor).
class ws_listener {
public:
  virtual ~ws_listener() = default;
  /// A whole text message.
  virtual void on_text(std::string message) = 0;
  /// A message larger than the limit arrived; nothing more is read. The
  /// listener closes the connection (e.g. send_and_close with its error).
  virtual void on_too_large(std::size_t limit) = 0;
  /// Exactly once, last.
  virtual void on_closed(ws_close_reason why) = 0;
};

/// How much waits to be written to one client.
struct ws_queue_stats {
  std::size_t bytes = 0;
  std::size_t items = 0;
};

/// One upgraded connection, as the protocol code sees it. Thread-safe.
class ws_connection {
public:
  virtual ~ws_connection() = default;

  /// Queues encoded frames; everything queued is written in one gather
  /// write. false (and nothing queued) once the connection is closing, or
  /// when the queue would pass its byte or item limit: the caller decides
  /// what that means (e.g. a slow client is disconnected).
  virtual bool send(std::span<const ws_bytes> items) = 0;
  bool send(const ws_bytes& item) { return send(std::span{&item, 1}); }

  /// Writes what is queued, then a close frame with `code`, then closes.
  /// Idempotent.
  virtual void close(uint16_t code, std::string_view reason) = 0;

  /// Queues `last` past the limits (a small final message, e.g. why the
  /// server disconnects), then closes as close() does. With
  /// `discard_queued`, what is queued and not yet being written is dropped
  /// first, so `last` follows the write in progress (a slow client's
  /// records: it resumes from the last cursor it received). false if
  /// already closing.
  virtual bool send_and_close(const ws_bytes& last, uint16_t code,
                              std::string_view reason, bool discard_queued) = 0;

  virtual ws_queue_stats queued() const = 0;
  virtual const std::string& remote_address() const = 0;
};

/// What one queued item costs a connection's queue besides the frames.
inline constexpr std::size_t ws_queue_entry_bytes = sizeof(ws_bytes);

/// Limits of every WebSocket connection of a server.
struct ws_limits {
  /// Largest message a client may send (contract §5.3: 1 MiB).
  std::size_t max_message_bytes = 1u << 20;
  /// Bytes and items queued for one client beyond which send() refuses.
  std::size_t queue_max_bytes = 8u << 20;
  std::size_t queue_max_items = 4096;
  /// Memory all clients' queues hold together (0 = no bound): frames
  /// counted once however many queues hold them, plus ws_queue_entry_bytes
  /// per queued item. Past it, send() refuses a client whose own queue is
  /// above its share (queue_total_max_bytes / open connections): the
  /// laggards go, clients that keep up stay.
  std::size_t queue_total_max_bytes = 0;
  /// Time one gather write may take; a client slower than that is closed.
  std::chrono::milliseconds send_timeout{5000};
};

/// The answer to an upgrade request, decided before the handshake.
struct ws_upgrade {
  /// Refuse with this response (401, 429, ...) instead of upgrading.
  std::optional<response> refuse;
  /// Otherwise: called once the handshake is done, with the connection;
  /// returns who receives its events.
  std::function<std::shared_ptr<ws_listener>(std::shared_ptr<ws_connection>)>
    attach;
};

/// Decides an upgrade request on a WebSocket route (runs on an io thread:
/// quick, no blocking).
using ws_handler = std::function<ws_upgrade(const request&)>;

} // namespace ds::http
