#include "runtime/http/websocket.hpp"

#include <array>

namespace ds::http {

// The framing is written here rather than taken from Beast: Beast's
// websocket::stream frames each message inside its own write call and
// cannot send frames encoded in advance, which is what lets one record's
// bytes be built once and written to every client in one gather write.
// Beast still does the HTTP upgrade handshake (ws_session.cpp).

void append_ws_frame(std::string& out, ws_opcode op, std::string_view payload) {
  auto n = payload.size();
  std::array<char, 10> head{};
  std::size_t used = 2;
  head[0] = static_cast<char>(0x80 | static_cast<uint8_t>(op));
  if (n < 126) {
    head[1] = static_cast<char>(n);
  } else if (n <= 0xFFFF) {
    head[1] = 126;
    head[2] = static_cast<char>((n >> 8) & 0xFF);
    head[3] = static_cast<char>(n & 0xFF);
    used = 4;
  } else {
    head[1] = 127;
    for (int i = 0; i < 8; ++i) {
      head[2 + i] =
        static_cast<char>((static_cast<uint64_t>(n) >> (56 - 8 * i)) & 0xFF);
    }
    used = 10;
  }
  out.append(head.data(), used);
  out.append(payload);
}

ws_bytes make_ws_frame(ws_opcode op, std::string_view payload) {
  auto out = std::make_shared<ws_frames>();
  out->reserve(payload.size() + 10);
  append_ws_frame(*out, op, payload);
  return out;
}

ws_frame_parser::ws_frame_parser(std::size_t max_message_bytes)
  : max_(max_message_bytes) {}

ws_frame_parser::event ws_frame_parser::next(std::string& in) {
  using kind = event::kind;
  auto error = [](std::string detail) {
    event e;
    e.what = kind::protocol_error;
    e.detail = std::move(detail);
    return e;
  };
  for (;;) {
    if (in.size() < 2) {
      return {};
    }
    auto b0 = static_cast<uint8_t>(in[0]);
    auto b1 = static_cast<uint8_t>(in[1]);
    bool fin = (b0 & 0x80) != 0;
    if ((b0 & 0x70) != 0) {
      return error("reserved bits set (no extension was negotiated)");
    }
    auto op = static_cast<ws_opcode>(b0 & 0x0F);
    bool control = (b0 & 0x08) != 0;
    if ((b1 & 0x80) == 0) {
      return error("client frame not masked");
    }
    uint64_t len = b1 & 0x7F;
    std::size_t at = 2;
    if (len == 126) {
      if (in.size() < 4) {
        return {};
      }
      len = (uint64_t{static_cast<uint8_t>(in[2])} << 8) |
            static_cast<uint8_t>(in[3]);
      at = 4;
    } else if (len == 127) {
      if (in.size() < 10) {
        return {};
      }
      len = 0;
      for (int i = 0; i < 8; ++i) {
        len = (len << 8) | static_cast<uint8_t>(in[2 + i]);
      }
      if (len >> 63) {
        return error("frame length has its top bit set");
      }
      at = 10;
    }
    switch (op) {
      case ws_opcode::text:
      case ws_opcode::binary:
        if (in_message_) {
          return error("new message inside a fragmented one");
        }
        break;
      case ws_opcode::continuation:
        if (!in_message_) {
          return error("continuation without a message");
        }
        break;
      case ws_opcode::close:
      case ws_opcode::ping:
      case ws_opcode::pong:
        if (!fin || len > 125) {
          return error("control frame fragmented or over 125 bytes");
        }
        break;
      default:
        return error("unknown opcode " +
                     std::to_string(static_cast<int>(b0 & 0x0F)));
    }
    if (!control && message_.size() + len > max_) {
      event e;
      e.what = kind::too_large;
      return e;
    }
    if (in.size() < at + 4 + len) {
      return {};
    }
    std::array<uint8_t, 4> mask{};
    for (std::size_t i = 0; i < 4; ++i) {
      mask[i] = static_cast<uint8_t>(in[at + i]);
    }
    at += 4;
    std::string payload = in.substr(at, len);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      payload[i] =
        static_cast<char>(static_cast<uint8_t>(payload[i]) ^ mask[i % 4]);
    }
    in.erase(0, at + len);
    if (control) {
      event e;
      e.what = kind::message;
      e.op = op;
      e.payload = std::move(payload);
      return e;
    }
    if (!in_message_) {
      in_message_ = true;
      message_op_ = op;
      message_.clear();
    }
    message_ += payload;
    if (fin) {
      in_message_ = false;
      event e;
      e.what = kind::message;
      e.op = message_op_;
      e.payload = std::move(message_);
      message_.clear();
      return e;
    }
  }
}

std::string_view to_string(ws_close_reason r) noexcept {
  switch (r) {
    case ws_close_reason::client_closed:
      return "client_closed";
    case ws_close_reason::server_closed:
      return "server_closed";
    case ws_close_reason::send_timeout:
      return "send_timeout";
    case ws_close_reason::too_large:
      return "too_large";
    case ws_close_reason::protocol_error:
      return "protocol_error";
    case ws_close_reason::io_error:
      return "io_error";
    case ws_close_reason::shutdown:
      return "shutdown";
  }
  return "unknown";
}

} // namespace ds::http
